"""school set-up: the teachers' load limit, the КТП's review, consent form, personal files

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 17:45:00.000000

A school sets itself up in the app [issue 13]: the assignments page warns past a teacher's
weekly load limit; a КТП is reviewed and approved by the deputy before the journal's topic
pick-list uses it [002 §7.4–7.5] (plans that exist already are taken as approved, so a
running school's pick-lists stay as they were); a parent's consent records its form (paper
or electronic) [003 §5.2]; the personal file has its number [004 §5.28].
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("school") as batch:
        batch.add_column(
            sa.Column("max_weekly_load", sa.Numeric(4, 1), nullable=False, server_default="36.0")
        )
    with op.batch_alter_table("student") as batch:
        batch.add_column(
            sa.Column("personal_file_number", sa.String(32), nullable=False, server_default="")
        )
    with op.batch_alter_table("consent") as batch:
        batch.add_column(sa.Column("form", sa.String(16), nullable=False, server_default="paper"))
        batch.create_check_constraint("ck_consent_form", "form IN ('paper', 'electronic')")
    with op.batch_alter_table("teaching_assignment") as batch:
        batch.add_column(
            sa.Column("ktp_status", sa.String(16), nullable=False, server_default="draft")
        )
        batch.add_column(sa.Column("ktp_reviewed_by", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("ktp_reviewed_at", UTCDateTime(), nullable=True))
        batch.add_column(
            sa.Column("ktp_review_note", sa.String(500), nullable=False, server_default="")
        )
        batch.create_foreign_key(
            "fk_teaching_assignment_ktp_reviewed_by", "app_user", ["ktp_reviewed_by"], ["id"]
        )
        batch.create_check_constraint(
            "ck_teaching_assignment_ktp_status",
            "ktp_status IN ('draft', 'submitted', 'approved', 'returned')",
        )
    # Plans kept before this revision were in use: they stay in the pick-list.
    op.execute(
        "UPDATE teaching_assignment SET ktp_status = 'approved' WHERE id IN "
        "(SELECT DISTINCT assignment_id FROM thematic_plan_item)"
    )


def downgrade() -> None:
    with op.batch_alter_table("teaching_assignment") as batch:
        batch.drop_constraint("ck_teaching_assignment_ktp_status", type_="check")
        batch.drop_constraint("fk_teaching_assignment_ktp_reviewed_by", type_="foreignkey")
        batch.drop_column("ktp_review_note")
        batch.drop_column("ktp_reviewed_at")
        batch.drop_column("ktp_reviewed_by")
        batch.drop_column("ktp_status")
    with op.batch_alter_table("consent") as batch:
        batch.drop_constraint("ck_consent_form", type_="check")
        batch.drop_column("form")
    with op.batch_alter_table("student") as batch:
        batch.drop_column("personal_file_number")
    with op.batch_alter_table("school") as batch:
        batch.drop_column("max_weekly_load")
