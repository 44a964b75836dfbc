"""Comments on tasks, threaded through `parent_comment_id`."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, and_
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship

from kanbert.db.base import Base, ExternallyIdentified, SpaceOwned, Timestamped, id_column
from kanbert.files.models import StoredFile
from kanbert.tasks.models import Task
from kanbert.users.models import User


class Comment(SpaceOwned, ExternallyIdentified, Timestamped, Base):
    """Deleted for good, never archived; replies go with their parent (CASCADE), and all of a
    task's comments with the task."""

    __tablename__ = "comments"
    __table_args__ = (
        Index("ix_comments_task_created", "task_id", "created_at", "id"),
        Index("uq_comments_external", "space_id", "external_origin", "external_id", unique=True),
    )

    id: Mapped[str] = id_column()
    task_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False
    )
    parent_comment_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("comments.id", ondelete="CASCADE"), nullable=True, index=True
    )
    author_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    is_public: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    task: Mapped[Task] = relationship(lazy="raise")
    author: Mapped[User] = relationship(lazy="raise")
    parent_comment: Mapped[Comment | None] = relationship(
        lazy="raise", remote_side=lambda: Comment.id, back_populates="sub_comments"
    )
    sub_comments: Mapped[list[Comment]] = relationship(
        lazy="raise",
        back_populates="parent_comment",
        order_by=lambda: (Comment.created_at, Comment.id),
        passive_deletes=True,
    )
    attachements: Mapped[list[StoredFile]] = relationship(
        primaryjoin=lambda: and_(
            foreign(StoredFile.entity_id) == Comment.id, StoredFile.entity_type == "comment"
        ),
        lazy="raise",
        order_by=lambda: (StoredFile.created_at, StoredFile.id),
        viewonly=True,
    )
    # The comment's task as the holder of its thread (no column): loading it with its
    # `replies` brings every reply on the task in one statement, whatever the number of
    # comments, and `sub_comments` trees are assembled in Python (comments/resource.py).
    thread: Mapped[Thread] = relationship(
        primaryjoin=lambda: foreign(Comment.task_id) == Thread.id, lazy="raise", viewonly=True
    )


class Thread(Base):
    """A read-only view of a task as the thread of its comments: the `tasks` table mapped a
    second time with only its id, so that a task's replies load by `task_id IN (…)` once per
    task, not once per comment of a page (which a Comment-to-Comment relation would do)."""

    __table__ = Task.__table__
    __mapper_args__ = {"include_properties": ["id"]}

    id: Mapped[str]
    replies: Mapped[list[Comment]] = relationship(
        primaryjoin=lambda: and_(
            foreign(Comment.task_id) == Thread.id, Comment.parent_comment_id.is_not(None)
        ),
        lazy="raise",
        order_by=lambda: (Comment.created_at, Comment.id),
        viewonly=True,
    )
