"""The two consent choices a person makes on joining and can change on their profile:
being counted in partner reports, and being asked to take part in research. One wording
everywhere they are asked, each with a one-line explanation; both start unticked."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField

from timebank.quick_gettext import lazy_gettext as _l

REPORTING_LABEL = _l("Include my exchanges in the reports we send to partners")
REPORTING_HINT = _l(
    "Partners such as the council or funders see only totals, never your name, "
    "and this helps the time bank keep its funding."
)
RESEARCH_LABEL = _l("I am happy to be asked to take part in research")
RESEARCH_HINT = _l(
    "A researcher may ask you to take part; you can always say no, and nothing is "
    "shared without asking you first."
)


class ConsentForm(FlaskForm):
    """The two choices; forms that ask for them inherit these fields."""

    consent_reporting = BooleanField(REPORTING_LABEL, description=REPORTING_HINT)
    consent_research = BooleanField(RESEARCH_LABEL, description=RESEARCH_HINT)
