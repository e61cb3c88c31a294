"""stats: the demonstration-recognition register (DEMO_RECOGNITION), for databases made before it shipped

Revision ID: 0010
Revises: 0006
Create Date: 2026-11-26 19:30:00
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0006'
branch_labels = None
depends_on = None

CODES = ('DEMO_RECOGNITION',)


def upgrade() -> None:
    """Adds the shipped forms named in CODES that the database lacks (0006 loads every shipped form into a new
    database, so there this changes nothing). An administrator's later changes to other forms are untouched."""
    from lishui.stats.seed import field_rows, form_rows

    bind = op.get_bind()
    present = {code for (code,) in bind.execute(sa.text('SELECT code FROM stats_forms')).tuples()}
    missing = [row for row in form_rows() if row['code'] in CODES and row['code'] not in present]
    if not missing:
        return
    forms = sa.table('stats_forms', *[sa.column(c) for c in (
        'code', 'title', 'title_en', 'period_type', 'subject', 'reported_by', 'deadline_days', 'lock_days',
        'jump_factor', 'z_threshold', 'description', 'is_active', 'revision', 'created_at')])
    fields = sa.table('stats_form_fields', *[sa.column(c) for c in (
        'form_id', 'key', 'label', 'label_en', 'type', 'unit', 'required', 'min_value', 'max_value', 'part_of',
        'outlier_check', 'sort_order')])
    now = dt.datetime.now(dt.UTC)
    op.bulk_insert(forms, [{**row, 'is_active': True, 'revision': 1, 'created_at': now} for row in missing])
    ids = dict(bind.execute(sa.text('SELECT code, id FROM stats_forms')).tuples().all())
    wanted = {ids[row['code']] for row in missing}
    op.bulk_insert(fields, [row for row in field_rows(ids) if row['form_id'] in wanted])


def downgrade() -> None:
    """Leaves the form: reports may have been filed on it."""
