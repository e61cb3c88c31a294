"""assessment: responsibility tasks, indicator observations, target breakdowns, scoring schemes, immutable bulletins

Revision ID: 0008
Revises: 0005
Create Date: 2026-11-26 16:36:08.925218
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
# The brief names 0003; this tree already has 0007 on 0003, so 0008 follows 0007 to keep one head here.
# The lead re-chains the branches at merge.
down_revision = '0005'
branch_labels = None
depends_on = None

BULLETINS = "assessment_bulletins"


def upgrade() -> None:
    op.create_table('assessment_bulletins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=10), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('pdf_sha256', sa.String(length=64), nullable=False),
    sa.Column('published_by', sa.String(length=80), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_bulletins'))
    )
    with op.batch_alter_table('assessment_bulletins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_bulletins_period'), ['period'], unique=False)

    op.create_table('assessment_schemes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('items', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_schemes')),
    sa.UniqueConstraint('year', 'version', name=op.f('uq_assessment_schemes_year_version'))
    )
    op.create_table('assessment_observations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('indicator', sa.String(length=60), nullable=False),
    sa.Column('division_code', sa.String(length=12), nullable=False),
    sa.Column('period', sa.String(length=10), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('value', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('reference', sa.String(length=300), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('recorded_by', sa.String(length=80), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['division_code'], ['divisions.code'], name=op.f('fk_assessment_observations_division_code_divisions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_observations')),
    sa.UniqueConstraint('indicator', 'division_code', 'period', 'revision', name=op.f('uq_assessment_observations_indicator_division_code_period_revision'))
    )
    op.create_table('assessment_target_breakdowns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pack_id', sa.String(length=50), nullable=False),
    sa.Column('target_id', sa.String(length=10), nullable=False),
    sa.Column('division_code', sa.String(length=12), nullable=False),
    sa.Column('value', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('set_by', sa.String(length=80), nullable=False),
    sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['division_code'], ['divisions.code'], name=op.f('fk_assessment_target_breakdowns_division_code_divisions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_target_breakdowns')),
    sa.UniqueConstraint('pack_id', 'target_id', 'division_code', name=op.f('uq_assessment_target_breakdowns_pack_id_target_id_division_code'))
    )
    op.create_table('assessment_tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pack_id', sa.String(length=50), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('clause_id', sa.String(length=30), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('measures', sa.String(length=200), nullable=False),
    sa.Column('unit_name', sa.String(length=100), nullable=False),
    sa.Column('role', sa.String(length=12), nullable=False),
    sa.Column('division_code', sa.String(length=12), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('extended_to', sa.Date(), nullable=True),
    sa.Column('report_every_days', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('grade', sa.String(length=4), nullable=False),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('closure_note', sa.Text(), nullable=False),
    sa.Column('last_report_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['division_code'], ['divisions.code'], name=op.f('fk_assessment_tasks_division_code_divisions')),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_assessment_tasks_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_tasks')),
    sa.UniqueConstraint('pack_id', 'year', 'clause_id', 'unit_name', name=op.f('uq_assessment_tasks_pack_id_year_clause_id_unit_name'))
    )
    with op.batch_alter_table('assessment_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_tasks_division_code'), ['division_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessment_tasks_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessment_tasks_year'), ['year'], unique=False)

    op.create_table('assessment_unit_links',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('linked_by', sa.String(length=80), nullable=False),
    sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_assessment_unit_links_org_id_organisations')),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_assessment_unit_links'))
    )
    op.create_table('assessment_task_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by', sa.String(length=80), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('figures', sa.Text(), nullable=False),
    sa.Column('attachment_name', sa.String(length=200), nullable=False),
    sa.Column('attachment_stored', sa.String(length=64), nullable=False),
    sa.Column('attachment_sha256', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['assessment_tasks.id'], name=op.f('fk_assessment_task_events_task_id_assessment_tasks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_task_events'))
    )
    with op.batch_alter_table('assessment_task_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_task_events_task_id'), ['task_id'], unique=False)

    op.create_table('assessment_task_extensions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('requested_until', sa.Date(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('requested_by', sa.String(length=80), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('decided_by', sa.String(length=80), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['assessment_tasks.id'], name=op.f('fk_assessment_task_extensions_task_id_assessment_tasks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_task_extensions'))
    )
    with op.batch_alter_table('assessment_task_extensions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_task_extensions_task_id'), ['task_id'], unique=False)


    # Observations are read by (indicator, division, period): the dashboard and scorecards.
    op.create_index('ix_assessment_observations_lookup', 'assessment_observations',
                    ['indicator', 'period', 'division_code', 'revision'])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION assessment_bulletins_guard() RETURNS trigger AS $$
            BEGIN
              RAISE EXCEPTION '{BULLETINS} are archived and immutable (% refused)', TG_OP;
            END $$ LANGUAGE plpgsql""")
        op.execute(f"""CREATE TRIGGER assessment_bulletins_immutable BEFORE UPDATE OR DELETE ON {BULLETINS}
                      FOR EACH ROW EXECUTE FUNCTION assessment_bulletins_guard()""")
        op.execute(f"""CREATE TRIGGER assessment_bulletins_no_truncate BEFORE TRUNCATE ON {BULLETINS}
                      FOR EACH STATEMENT EXECUTE FUNCTION assessment_bulletins_guard()""")
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"""CREATE TRIGGER assessment_bulletins_no_{verb.lower()} BEFORE {verb} ON {BULLETINS}
                          BEGIN SELECT RAISE(ABORT, '{BULLETINS} are archived and immutable ({verb} refused)'); END""")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS assessment_bulletins_immutable ON {BULLETINS}")
        op.execute(f"DROP TRIGGER IF EXISTS assessment_bulletins_no_truncate ON {BULLETINS}")
        op.execute("DROP FUNCTION IF EXISTS assessment_bulletins_guard()")
    else:
        op.execute("DROP TRIGGER IF EXISTS assessment_bulletins_no_update")
        op.execute("DROP TRIGGER IF EXISTS assessment_bulletins_no_delete")
    op.drop_index('ix_assessment_observations_lookup', table_name='assessment_observations')
    with op.batch_alter_table('assessment_task_extensions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_task_extensions_task_id'))

    op.drop_table('assessment_task_extensions')
    with op.batch_alter_table('assessment_task_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_task_events_task_id'))

    op.drop_table('assessment_task_events')
    op.drop_table('assessment_unit_links')
    with op.batch_alter_table('assessment_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_tasks_year'))
        batch_op.drop_index(batch_op.f('ix_assessment_tasks_org_id'))
        batch_op.drop_index(batch_op.f('ix_assessment_tasks_division_code'))

    op.drop_table('assessment_tasks')
    op.drop_table('assessment_target_breakdowns')
    op.drop_table('assessment_observations')
    op.drop_table('assessment_schemes')
    with op.batch_alter_table('assessment_bulletins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_bulletins_period'))

    op.drop_table('assessment_bulletins')
