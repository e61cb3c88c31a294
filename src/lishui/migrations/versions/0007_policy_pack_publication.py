"""published pack versions keep their source and cannot be changed or removed; batch runs show progress

Revision ID: 0007
Revises: 0003
Create Date: 2026-11-26 16:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0003'
branch_labels = None
depends_on = None

TABLE = "policy_pack_versions"


def upgrade() -> None:
    with op.batch_alter_table(TABLE) as batch:
        batch.add_column(sa.Column('sources', sa.Text(), nullable=False, server_default='{}'))
        batch.add_column(sa.Column('note', sa.String(length=300), nullable=False, server_default=''))
        batch.add_column(sa.Column('derives_from', sa.String(length=50), nullable=False, server_default=''))
    with op.batch_alter_table("policy_batch_runs") as batch:
        batch.add_column(sa.Column('stage', sa.String(length=20), nullable=False, server_default='done'))
        batch.add_column(sa.Column('progress_done', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('progress_total', sa.Integer(), nullable=False, server_default='0'))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION policy_pack_versions_guard() RETURNS trigger AS $$
            BEGIN
              RAISE EXCEPTION '{TABLE} is immutable once published (% refused)', TG_OP;
            END $$ LANGUAGE plpgsql""")
        op.execute(f"""CREATE TRIGGER policy_pack_versions_immutable BEFORE UPDATE OR DELETE ON {TABLE}
                      FOR EACH ROW EXECUTE FUNCTION policy_pack_versions_guard()""")
        op.execute(f"""CREATE TRIGGER policy_pack_versions_no_truncate BEFORE TRUNCATE ON {TABLE}
                      FOR EACH STATEMENT EXECUTE FUNCTION policy_pack_versions_guard()""")
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"""CREATE TRIGGER policy_pack_versions_no_{verb.lower()} BEFORE {verb} ON {TABLE}
                          BEGIN SELECT RAISE(ABORT, '{TABLE} is immutable once published ({verb} refused)'); END""")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS policy_pack_versions_immutable ON {TABLE}")
        op.execute(f"DROP TRIGGER IF EXISTS policy_pack_versions_no_truncate ON {TABLE}")
        op.execute("DROP FUNCTION IF EXISTS policy_pack_versions_guard()")
    else:
        op.execute("DROP TRIGGER IF EXISTS policy_pack_versions_no_update")
        op.execute("DROP TRIGGER IF EXISTS policy_pack_versions_no_delete")
    with op.batch_alter_table("policy_batch_runs") as batch:
        batch.drop_column('progress_total')
        batch.drop_column('progress_done')
        batch.drop_column('stage')
    with op.batch_alter_table(TABLE) as batch:
        batch.drop_column('derives_from')
        batch.drop_column('note')
        batch.drop_column('sources')
