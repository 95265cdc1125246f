"""The blogs the benchmarks run on: a table of fixture variants, not one tuned blog.

Each row is a generated blog of another template family, language, comment density and
widget-cruft density (``fixtures.blogger.generate_blog``); "dense" cruft gives every post
every widget the fixture knows (LinkWithin in the body and after the comments, share
buttons, tracking pixel, FeedBurner flare, clearing div) instead of the usual random few.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from fixtures.blogger import POST_CRUFT, FixtureBlog, generate_blog


@dataclass(frozen=True)
class BlogVariant:
    name: str
    family: str
    language: str
    comments_per_post: float
    cruft: str
    """"usual" (the generator's own mix) or "dense" (every widget on every post)."""

    def describe(self) -> str:
        return (f"{self.family}, {self.language}, {self.comments_per_post:g} comments/post,"
                f" {self.cruft} cruft")


VARIANTS: tuple[BlogVariant, ...] = (
    BlogVariant("threaded-en", "layout-threaded", "en", 4.2, "usual"),
    BlogVariant("classic-de-dense", "classic", "de", 2.0, "dense"),
    BlogVariant("modern-es-chatty", "modern", "es", 9.0, "usual"),
    BlogVariant("flat-en-dense", "layout-flat", "en", 4.2, "dense"),
)
BY_NAME = {v.name: v for v in VARIANTS}


def make_blog(variant: BlogVariant, posts: int, seed: int = 7, *, feeds: bool = True) -> FixtureBlog:
    """The fixture blog of one variant (deterministic for a seed)."""
    blog = generate_blog(seed=seed, posts=posts, family=variant.family, language=variant.language,
                         comments_per_post=variant.comments_per_post, feeds=feeds)
    if variant.cruft == "dense":
        blog = dataclasses.replace(blog, posts=tuple(
            dataclasses.replace(p, cruft=POST_CRUFT) if p.kind == "post" and not p.is_seed else p
            for p in blog.posts))
    return blog
