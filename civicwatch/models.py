"""Imports every model so that the metadata (and Alembic) knows every table."""
from civicwatch.accounts.models import Role, User  # noqa: F401
from civicwatch.audit.models import AuditEntry  # noqa: F401
from civicwatch.cases.models import (  # noqa: F401
    Attachment,
    Case,
    CaseEvent,
    CaseMessage,
    CaseStatus,
    Channel,
    ComplainantIdentity,
    DeadlineAlert,
    MessageKind,
    Outcome,
    Recommendation,
    Recusal,
    ReferenceKey,
    RemedyStatus,
    StaffNotification,
)
from civicwatch.classify.models import LabelledExample  # noqa: F401
from civicwatch.disclosure.models import DisclosureRequest  # noqa: F401
from civicwatch.intake.models import QueuedReport, ReceiptLookupFailure, SubmissionKey  # noqa: F401
from civicwatch.interfaces.models import ApiKey, Open311Token  # noqa: F401
from civicwatch.messaging.models import (  # noqa: F401
    EarlyDeliveryStatus,
    NotSafeToText,
    OutboundMessage,
    OutboxStatus,
    PhoneLanguage,
    SmsOptOut,
)
from civicwatch.patterns.models import (  # noqa: F401
    AlertEvidence,
    Allegation,
    CaseRelation,
    PatternAlert,
    Subject,
    SubjectAlias,
    SubjectLink,
)
from civicwatch.publishing.models import Publication, PublicationStatus  # noqa: F401
from civicwatch.retention.models import CaseErasure, LegalHold, PendingFileRemoval, RetentionSchedule  # noqa: F401
from civicwatch.routing.models import RoutingDecision, RoutingRule  # noqa: F401
from civicwatch.sms.models import (  # noqa: F401
    ConversationState,
    InboundSms,
    InboxText,
    SmsConversation,
)
from civicwatch.taxonomy.models import Actor, Body, District, Holiday, Region, Setting, Theme  # noqa: F401
from civicwatch.transparency.models import (  # noqa: F401
    StatisticsRefresh,
    statistics_cells,
    statistics_durations,
)
