"""One hierarchy of domain errors, each worded so it can be shown to a person as it is.

The web layer turns them into a message beside the form field named by ``field`` (when
set); the command line prints them; the API (later) answers problem+json.
"""

from __future__ import annotations


class LedgerError(Exception):
    """Base class: a rule of the time bank was broken and nothing was written."""

    code = "ledger_error"
    field: str | None = None

    def __init__(self, message: str, *, field: str | None = None, **params: object) -> None:
        """``message`` is an English template; named ``params`` fill its
        ``%(name)s`` places. The web layer translates the template and fills it again
        in the reader's language (``timebank.i18n.ledger_message``)."""
        self.template = message
        self.params = params
        self.message = message % params if params else message
        super().__init__(self.message)
        if field is not None:
            self.field = field

    def __str__(self) -> str:
        return self.message


# Input that can never be valid, whatever the balances.
class InvalidTransferError(LedgerError):
    code = "invalid_transfer"


class InvalidAmountError(InvalidTransferError):
    code = "invalid_amount"
    field = "minutes"


class AmountTooLargeError(InvalidAmountError):
    code = "amount_too_large"


class SelfTransferError(InvalidTransferError):
    code = "self_transfer"
    field = "counterpart"


class CrossBankTransferError(InvalidTransferError):
    code = "cross_bank"
    field = "counterpart"


class DateInFutureError(InvalidTransferError):
    code = "date_in_future"
    field = "service_date"


class DateTooOldError(InvalidTransferError):
    code = "date_too_old"
    field = "service_date"


class UnknownCategoryError(InvalidTransferError):
    code = "unknown_category"
    field = "category"


class InactiveAccountError(InvalidTransferError):
    code = "inactive_account"
    field = "counterpart"


class MissingReasonError(LedgerError):
    code = "missing_reason"
    field = "reason"


class InvalidPolicyError(LedgerError):
    code = "invalid_policy"


# Limits that depend on the balances at the moment of writing.
class LimitError(LedgerError):
    code = "limit"
    # The account whose limit it is, when known (the posting checks set it), so that the
    # holder can be told in their own words.
    account_id: int | None = None


class BelowFloorError(LimitError):
    code = "below_floor"
    field = "minutes"


class AboveCapError(LimitError):
    code = "above_cap"
    field = "minutes"


class InsufficientPotError(LimitError):
    code = "insufficient_pot"
    field = "minutes"


# The state of a transfer does not allow the action.
class TransferStateError(LedgerError):
    code = "transfer_state"


class EntryChangedError(TransferStateError):
    """The entry was corrected after the person looked at it: what they would confirm,
    approve or reject is not what they saw."""

    code = "entry_changed"


class AlreadyResolvedError(TransferStateError):
    code = "already_resolved"


class NotConfirmableError(TransferStateError):
    code = "not_confirmable"


class AlreadyReversedError(TransferStateError):
    code = "already_reversed"


class NotReversibleError(TransferStateError):
    code = "not_reversible"


class IdempotencyConflictError(LedgerError):
    code = "idempotency_conflict"


class NotAllowedError(LedgerError):
    code = "not_allowed"


class NotFoundError(LedgerError):
    code = "not_found"


class DuplicateError(LedgerError):
    code = "duplicate"


class AccountInUseError(NotAllowedError):
    """An account with history cannot be closed (a member with exchanges becoming a
    partner)."""

    code = "account_in_use"
