"""The export files as the checks read them back (``blogport.checks.context``)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from blogport.checks.context import _SAFE_LOADER, parse_wxr

WXR = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"
     xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:other="urn:other">
<channel>
  <wp:wxr_version> 1.2 </wp:wxr_version>
  <other:item><title>not an item</title></other:item>
  <item>
    <!-- a comment among the children -->
    <other:title>another namespace's title</other:title>
    <title> First title </title>
    <title>second title</title>
    <?pi ignored?>
    <link>https://example.blogspot.com/2009/08/a.html</link>
    <guid isPermaLink="false">tag:blogger.com,1999:blog-1.post-77</guid>
    <wp:post_id>12</wp:post_id>
    <wp:post_date>2009-08-01 10:00:00</wp:post_date>
    <wp:post_date_gmt> </wp:post_date_gmt>
    <content:encoded><![CDATA[<p>Body</p>]]></content:encoded>
    <wp:postmeta><wp:meta_key>blogger_id</wp:meta_key><wp:meta_value> 77x </wp:meta_value></wp:postmeta>
    <wp:postmeta><wp:meta_key>empty</wp:meta_key><wp:meta_value></wp:meta_value></wp:postmeta>
    <wp:comment>
      <wp:comment_id>5</wp:comment_id>
      <wp:comment_parent>0</wp:comment_parent>
      <wp:comment_content><![CDATA[Hello]]></wp:comment_content>
      <wp:commentmeta><wp:meta_key>blogger_id</wp:meta_key><wp:meta_value>c-9</wp:meta_value></wp:commentmeta>
    </wp:comment>
    <wp:comment>
      <wp:comment_parent>5</wp:comment_parent>
    </wp:comment>
  </item>
  <item>
    <wp:post_type>page</wp:post_type>
  </item>
</channel>
</rss>
"""


def test_parse_wxr_reads_the_first_child_of_each_tag_in_no_other_namespace(tmp_path: Path) -> None:
    path = tmp_path / "wordpress.xml"
    path.write_text(WXR, encoding="utf-8")
    wxr = parse_wxr(path, "wordpress.xml")
    assert wxr.error is None and wxr.version == "1.2"
    assert len(wxr.items) == 2
    item, page = wxr.items
    assert (item.post_id, item.title, item.post_type, item.post_date, item.content) == (
        "12", "First title", "post", "2009-08-01 10:00:00", "<p>Body</p>")
    assert item.keys == {"12", "https://example.blogspot.com/2009/08/a.html",
                         "tag:blogger.com,1999:blog-1.post-77", "77", "77x"}
    assert [(c.comment_id, c.parent, c.content, c.keys) for c in item.comments] == [
        ("5", "0", "Hello", {"5", "c-9"}), ("", "5", "", set())]
    assert (page.post_id, page.title, page.post_type, page.post_date, page.content, page.keys) == (
        "", "", "page", "", "", set())
    assert wxr.index["77"] is item and wxr.index["12"] is item


@pytest.mark.parametrize("text", [
    'title: "A"\ndate: 2009-08-15T09:50:00-07:00\ntags:\n- "x"\n- y\n',
    "a: &s text\nb: *s\nc: !!str 12\nd: 12\ne: [1, 'two', {f: null}]\n",
    "a: &m {k: v}\nb: *m\n<<: *m\n",
    "a: &r [*r]\n",
    "a: !custom x\n",
    "a: !!binary not base64!\n",
    "? [1, 2]\n: v\n",
    "- just\n- a list\n",
])
def test_front_matter_loads_as_yaml_safe_load_does(text: str) -> None:
    def loaded(loader: type) -> tuple[str, str]:
        try:
            return "ok", repr(yaml.load(text, Loader=loader))
        except yaml.YAMLError as exc:
            return "error", str(exc)

    assert loaded(_SAFE_LOADER) == loaded(getattr(yaml, "CSafeLoader", yaml.SafeLoader))
