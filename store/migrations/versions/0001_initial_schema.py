"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 09:21:51.082058
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import store.types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "carers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("postcode_or_district", sa.String(length=100), nullable=True),
        sa.Column("communication_needs", sa.JSON(), nullable=False),
        sa.Column("telegram_chat_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("erased_at", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carers")),
    )
    with op.batch_alter_table("carers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_carers_phone"), ["phone"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_carers_telegram_chat_id"), ["telegram_chat_id"], unique=False
        )

    op.create_table(
        "heartbeats",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("beat_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_heartbeats")),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=128), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'dead')", name=op.f("ck_outbox_status_valid")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_outbox_dedupe_key")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_recipient"), ["recipient"], unique=False)

    op.create_table(
        "processed_webhooks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("response", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_processed_webhooks")),
        sa.UniqueConstraint("source", "key", name="uq_processed_webhooks_source_key"),
    )
    with op.batch_alter_table("processed_webhooks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_processed_webhooks_at"), ["at"], unique=False)

    op.create_table(
        "staff_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "role IN ('staff', 'supervisor')", name=op.f("ck_staff_users_role_valid")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_users")),
        sa.UniqueConstraint("username", name=op.f("uq_staff_users_username")),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_users.id"], name=op.f("fk_audit_events_staff_id_staff_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_events_at"), ["at"], unique=False)
        batch_op.create_index(
            "ix_audit_events_subject", ["subject_type", "subject_id"], unique=False
        )

    op.create_table(
        "conversations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.Column("node", sa.String(length=64), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("carer_id", sa.Integer(), nullable=True),
        sa.Column("started_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_reason", sa.String(length=32), nullable=True),
        sa.CheckConstraint(
            "channel IN ('voice', 'sms', 'telegram', 'terminal', 'console')",
            name=op.f("ck_conversations_channel_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["carer_id"], ["carers.id"], name=op.f("fk_conversations_carer_id_carers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
        sa.UniqueConstraint("channel", "external_id", name="uq_conversations_channel_external_id"),
    )
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_conversations_updated_at"), ["updated_at"], unique=False
        )

    op.create_table(
        "conversation_turns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("node", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "direction IN ('in', 'out')", name=op.f("ck_conversation_turns_direction_valid")
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_conversation_turns_conversation_id_conversations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_turns")),
    )
    with op.batch_alter_table("conversation_turns", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_conversation_turns_conversation_id"), ["conversation_id"], unique=False
        )

    op.create_table(
        "emergency_card_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("carer_id", sa.Integer(), nullable=True),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("cared_for_name", sa.String(length=200), nullable=True),
        sa.Column("help_needed", sa.Text(), nullable=True),
        sa.Column("contacts", sa.JSON(), nullable=False),
        sa.Column("consent_at", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("consent_wording_version", sa.String(length=32), nullable=True),
        sa.Column("received_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "channel IN ('voice', 'sms', 'telegram', 'terminal', 'console')",
            name=op.f("ck_emergency_card_requests_channel_valid"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'declined')",
            name=op.f("ck_emergency_card_requests_status_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["carer_id"], ["carers.id"], name=op.f("fk_emergency_card_requests_carer_id_carers")
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_emergency_card_requests_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["staff_users.id"],
            name=op.f("fk_emergency_card_requests_decided_by_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergency_card_requests")),
        sa.UniqueConstraint("reference", name=op.f("uq_emergency_card_requests_reference")),
    )
    with op.batch_alter_table("emergency_card_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_emergency_card_requests_carer_id"), ["carer_id"], unique=False
        )

    op.create_table(
        "referrals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("carer_id", sa.Integer(), nullable=True),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("referrer_name", sa.String(length=200), nullable=True),
        sa.Column("referrer_phone", sa.String(length=32), nullable=True),
        sa.Column("referrer_organisation", sa.String(length=200), nullable=True),
        sa.Column("relationship_to_cared_for", sa.String(length=100), nullable=True),
        sa.Column("cared_for_condition", sa.String(length=100), nullable=True),
        sa.Column("carer_is_adult", sa.Boolean(), nullable=True),
        sa.Column("is_paid_carer", sa.Boolean(), nullable=True),
        sa.Column("caring_ended_over_limit", sa.Boolean(), nullable=True),
        sa.Column("communication_needs", sa.JSON(), nullable=False),
        sa.Column("best_time_to_call", sa.String(length=100), nullable=True),
        sa.Column("demographics", sa.JSON(), nullable=False),
        sa.Column("consent_given", sa.Boolean(), nullable=False),
        sa.Column("consent_at", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("consent_wording_version", sa.String(length=32), nullable=True),
        sa.Column("tell_referrer", sa.Boolean(), nullable=False),
        sa.Column("referrer_told_at", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("received_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("acknowledge_due", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("first_contact_due", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("first_contact_at", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "channel IN ('voice', 'sms', 'telegram', 'terminal', 'console')",
            name=op.f("ck_referrals_channel_valid"),
        ),
        sa.CheckConstraint(
            "source IN ('self', 'family', 'professional', 'agency')",
            name=op.f("ck_referrals_source_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["carer_id"], ["carers.id"], name=op.f("fk_referrals_carer_id_carers")
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_referrals_conversation_id_conversations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
        sa.UniqueConstraint("reference", name=op.f("uq_referrals_reference")),
    )
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_referrals_acknowledge_due"), ["acknowledge_due"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_referrals_carer_id"), ["carer_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_referrals_first_contact_due"), ["first_contact_due"], unique=False
        )

    op.create_table(
        "voicemails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        sa.Column("call_sid", sa.String(length=64), nullable=True),
        sa.Column("recording_sid", sa.String(length=64), nullable=False),
        sa.Column("recording_url", sa.String(length=500), nullable=True),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column("transcript", sa.Text(), nullable=True),
        sa.Column("transcript_status", sa.String(length=16), nullable=True),
        sa.Column("received_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_voicemails_conversation_id_conversations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voicemails")),
        sa.UniqueConstraint("recording_sid", name=op.f("uq_voicemails_recording_sid")),
    )
    with op.batch_alter_table("voicemails", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_voicemails_call_sid"), ["call_sid"], unique=False)

    op.create_table(
        "emergency_cards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("carer_id", sa.Integer(), nullable=True),
        sa.Column("plan", sa.Text(), nullable=True),
        sa.Column("contacts", sa.JSON(), nullable=False),
        sa.Column("issued_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'cancelled')", name=op.f("ck_emergency_cards_status_valid")
        ),
        sa.ForeignKeyConstraint(
            ["carer_id"], ["carers.id"], name=op.f("fk_emergency_cards_carer_id_carers")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["emergency_card_requests.id"],
            name=op.f("fk_emergency_cards_request_id_emergency_card_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergency_cards")),
        sa.UniqueConstraint("number", name=op.f("uq_emergency_cards_number")),
    )
    with op.batch_alter_table("emergency_cards", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_emergency_cards_carer_id"), ["carer_id"], unique=False)

    op.create_table(
        "card_activations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=True),
        sa.Column("number_given", sa.String(length=32), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "channel IN ('voice', 'sms', 'telegram', 'terminal', 'console')",
            name=op.f("ck_card_activations_channel_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["card_id"],
            ["emergency_cards.id"],
            name=op.f("fk_card_activations_card_id_emergency_cards"),
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_card_activations_conversation_id_conversations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_activations")),
    )
    with op.batch_alter_table("card_activations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_card_activations_card_id"), ["card_id"], unique=False)

    op.create_table(
        "callbacks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("urgency", sa.String(length=8), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        sa.Column("carer_id", sa.Integer(), nullable=True),
        sa.Column("referral_id", sa.Integer(), nullable=True),
        sa.Column("voicemail_id", sa.Integer(), nullable=True),
        sa.Column("card_request_id", sa.Integer(), nullable=True),
        sa.Column("activation_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("window_start", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("window_end", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("received_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_by", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("claimed_by", sa.Integer(), nullable=True),
        sa.Column("claimed_at", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts_count", sa.Integer(), nullable=False),
        sa.Column("ended_early", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(length=64), nullable=True),
        sa.Column("signposted_to", sa.JSON(), nullable=False),
        sa.Column("completed_at", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "channel IN ('voice', 'sms', 'telegram', 'terminal', 'console')",
            name=op.f("ck_callbacks_channel_valid"),
        ),
        sa.CheckConstraint(
            "kind IN ('callback', 'referral', 'voicemail', 'card_request', 'card_activation', 'crisis')",
            name=op.f("ck_callbacks_kind_valid"),
        ),
        sa.CheckConstraint(
            "status IN ('open', 'done', 'closed')", name=op.f("ck_callbacks_status_valid")
        ),
        sa.CheckConstraint(
            "urgency IN ('normal', 'urgent')", name=op.f("ck_callbacks_urgency_valid")
        ),
        sa.ForeignKeyConstraint(
            ["activation_id"],
            ["card_activations.id"],
            name=op.f("fk_callbacks_activation_id_card_activations"),
        ),
        sa.ForeignKeyConstraint(
            ["card_request_id"],
            ["emergency_card_requests.id"],
            name=op.f("fk_callbacks_card_request_id_emergency_card_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["carer_id"], ["carers.id"], name=op.f("fk_callbacks_carer_id_carers")
        ),
        sa.ForeignKeyConstraint(
            ["claimed_by"], ["staff_users.id"], name=op.f("fk_callbacks_claimed_by_staff_users")
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_callbacks_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referrals.id"], name=op.f("fk_callbacks_referral_id_referrals")
        ),
        sa.ForeignKeyConstraint(
            ["voicemail_id"], ["voicemails.id"], name=op.f("fk_callbacks_voicemail_id_voicemails")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callbacks")),
        sa.UniqueConstraint("reference", name=op.f("uq_callbacks_reference")),
    )
    with op.batch_alter_table("callbacks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_callbacks_carer_id"), ["carer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_callbacks_claimed_by"), ["claimed_by"], unique=False)
        batch_op.create_index("ix_callbacks_queue", ["status", "urgency", "due_by"], unique=False)

    op.create_table(
        "callback_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("callback_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("result", sa.String(length=20), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "result IN ('reached', 'no_answer', 'voicemail_left', 'wrong_number', 'declined')",
            name=op.f("ck_callback_attempts_result_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["callback_id"],
            ["callbacks.id"],
            name=op.f("fk_callback_attempts_callback_id_callbacks"),
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_users.id"], name=op.f("fk_callback_attempts_staff_id_staff_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callback_attempts")),
    )
    with op.batch_alter_table("callback_attempts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_callback_attempts_callback_id"), ["callback_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("callback_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_callback_attempts_callback_id"))

    op.drop_table("callback_attempts")
    with op.batch_alter_table("callbacks", schema=None) as batch_op:
        batch_op.drop_index("ix_callbacks_queue")
        batch_op.drop_index(batch_op.f("ix_callbacks_claimed_by"))
        batch_op.drop_index(batch_op.f("ix_callbacks_carer_id"))

    op.drop_table("callbacks")
    with op.batch_alter_table("card_activations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_card_activations_card_id"))

    op.drop_table("card_activations")
    with op.batch_alter_table("emergency_cards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emergency_cards_carer_id"))

    op.drop_table("emergency_cards")
    with op.batch_alter_table("voicemails", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_voicemails_call_sid"))

    op.drop_table("voicemails")
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referrals_first_contact_due"))
        batch_op.drop_index(batch_op.f("ix_referrals_carer_id"))
        batch_op.drop_index(batch_op.f("ix_referrals_acknowledge_due"))

    op.drop_table("referrals")
    with op.batch_alter_table("emergency_card_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emergency_card_requests_carer_id"))

    op.drop_table("emergency_card_requests")
    with op.batch_alter_table("conversation_turns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversation_turns_conversation_id"))

    op.drop_table("conversation_turns")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversations_updated_at"))

    op.drop_table("conversations")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_subject")
        batch_op.drop_index(batch_op.f("ix_audit_events_at"))

    op.drop_table("audit_events")
    op.drop_table("staff_users")
    with op.batch_alter_table("processed_webhooks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_processed_webhooks_at"))

    op.drop_table("processed_webhooks")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_recipient"))
        batch_op.drop_index("ix_outbox_due")

    op.drop_table("outbox")
    op.drop_table("heartbeats")
    with op.batch_alter_table("carers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_carers_telegram_chat_id"))
        batch_op.drop_index(batch_op.f("ix_carers_phone"))

    op.drop_table("carers")
