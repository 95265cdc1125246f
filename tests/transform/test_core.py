from __future__ import annotations

from kernel.records import RawComment, RawLabel, RawPost
from transform.core import (
    BlogContext,
    normalise_source_id,
    post_id_for,
    slug_from_url,
    tag_id,
    transform_post,
)


def test_slug_from_the_old_url():
    assert slug_from_url("http://leo.blogspot.com/2009/08/client-service-or-client.html") == "client-service-or-client"
    assert slug_from_url("https://leo.blogspot.com/p/about.html") == "about"
    assert slug_from_url("https://leo.blogspot.com/2009/08/caf%C3%A9-notes.html") == "café-notes"
    assert slug_from_url("https://leo.blogspot.com/2009/08/", "A Title Here") == "a-title-here"


def test_post_id_from_source_or_a_short_hash_of_the_url():
    url = "http://leo.blogspot.com/2009/08/x.html"
    assert post_id_for(RawPost(url=url, title="", body_html="", post_id="4508921734529158117")) == "4508921734529158117"
    assert post_id_for(RawPost(url=url, title="", body_html="", post_id="tag:blogger.com,1999:blog-1.post-77")) == "77"
    hashed = post_id_for(RawPost(url=url, title="", body_html=""))
    assert hashed.startswith("u") and len(hashed) == 13
    assert hashed == post_id_for(RawPost(url=url, title="other", body_html="x"))
    assert hashed != post_id_for(RawPost(url=url + "?x", title="", body_html=""))


def test_source_comment_ids_normalised():
    assert normalise_source_id("c1234") == "1234"
    assert normalise_source_id("comment-1234") == "1234"
    assert normalise_source_id("1234") == "1234"
    assert normalise_source_id("") is None
    assert normalise_source_id(None) is None


def test_tags_are_slugs_of_labels():
    assert tag_id("Client Service") == "client-service"
    assert tag_id("日本") != ""


def test_a_whole_post_with_page_kind_draft_updated_deleted_comment_and_mojibake_title():
    url = "http://leo.blogspot.com/p/about.html"
    raw = RawPost(
        url=url, title="  Iâ€™m   Leo ", body_html="<p>About me.</p>", kind="page", status="draft",
        published_attr="2009-08-15T09:50:00.001-07:00", updated_attr="2009-08-16T10:00:00.000-07:00",
        labels=(RawLabel("About"), RawLabel("about"), RawLabel("  ")), comment_count=2, language="en-US",
        comments=(
            RawComment(post_url=url, comment_id="9", position=0, deleted=True, author_text="Leo",
                       body_html="This comment has been removed by the author.", date_text="August 15, 2009 at 10:00 AM"),
            RawComment(post_url=url, comment_id="9", position=1, body_html="duplicate from a second page",
                       date_text="August 15, 2009 at 10:00 AM"),
        ),
        source="export",
    )
    result = transform_post(raw, BlogContext.simple("en", "UTC"))
    post = result.post
    assert post.title == "I’m Leo"
    assert (post.kind, post.status, post.source, post.slug, post.language) == ("page", "draft", "export", "about", "en")
    assert post.published == "2009-08-15T16:50:00+00:00" and post.updated == "2009-08-16T17:00:00+00:00"
    assert post.tags == ("about",) and len(result.tags) == 1
    assert post.comment_count_declared == 2 and post.author_id is None
    assert len(result.comments) == 1
    gone = result.comments[0]
    assert gone.deleted and gone.body_text == "" and gone.body_html == ""
    assert gone.published == "2009-08-15T10:00:00+00:00"


def test_pure_same_input_same_output():
    raw = RawPost(url="http://b.example/2009/08/x.html", title="x", body_html="<p>x</p><div style='clear:both'></div>",
                  date_header="Saturday, August 15, 2009",
                  comments=(RawComment(post_url="http://b.example/2009/08/x.html", comment_id="1", position=0,
                                       body_html="hi", header_text="AnaAugust 15, 2009 at 9:50 AM"),))
    ctx = BlogContext.simple("en", "Europe/Madrid")
    assert transform_post(raw, ctx) == transform_post(raw, ctx)
