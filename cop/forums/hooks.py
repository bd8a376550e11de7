"""Every coalition gets its private forum category the moment it is created."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import event

from cop.coalitions.models import Coalition
from cop.forums.models import Category


@event.listens_for(Coalition, "after_insert")
def _coalition_category(mapper, connection, coalition) -> None:
    # Databases migrated before the forum tables exist simply skip this;
    # `flask cop forums setup` creates the missing categories later.
    if not sa.inspect(connection).has_table(Category.__tablename__):
        return
    from cop.forums.services import coalition_category_values

    connection.execute(sa.insert(Category.__table__).values(**coalition_category_values(coalition)))
