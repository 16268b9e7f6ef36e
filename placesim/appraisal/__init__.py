"""Appraisal: what an INT costs, what it saves and whom, in Green Book form."""

from .appraisal import METRICS, ORGANISATION_METRICS, Appraisal, appraise
from .valuation import discount_factors, uprating_factor

__all__ = ["METRICS", "ORGANISATION_METRICS", "Appraisal", "appraise", "discount_factors", "uprating_factor"]
