"""Every list is paginated the same way: ``?limit=&offset=`` in, a ``Page`` out."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel

T = TypeVar("T")


class PageParams(BaseModel):
    limit: int
    offset: int


MAX_OFFSET = 1_000_000


def _page_params(
    limit: Annotated[int, Query(ge=1, le=100, description="Items per page")] = 20,
    # Bounded: an offset past any real list is a mistake, and databases refuse huge integers.
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip")] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


PageDep = Annotated[PageParams, Depends(_page_params)]


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int
