"""compiler/json_patch.py against the examples of RFC 6901 section 5, RFC 6902 appendix A and RFC 7386 appendix A."""
from __future__ import annotations

import copy

import pytest

from compiler.json_patch import (Operation, PatchError, PointerError, apply_patch, json_equal, merge_patch,
                                 parse_pointer, resolve)


def op(name, path, value=None, from_=None):
    return Operation(name, path, value, from_)


# --- RFC 6901 section 5 -------------------------------------------------------------------------

RFC6901_DOCUMENT = {"foo": ["bar", "baz"], "": 0, "a/b": 1, "c%d": 2, "e^f": 3, "g|h": 4, "i\\j": 5, "k\"l": 6,
                    " ": 7, "m~n": 8}


@pytest.mark.parametrize(("pointer", "expected"), [
    ("", RFC6901_DOCUMENT), ("/foo", ["bar", "baz"]), ("/foo/0", "bar"), ("/", 0), ("/a~1b", 1), ("/c%d", 2),
    ("/e^f", 3), ("/g|h", 4), ("/i\\j", 5), ("/k\"l", 6), ("/ ", 7), ("/m~0n", 8),
])
def test_rfc6901_examples(pointer, expected):
    assert resolve(RFC6901_DOCUMENT, parse_pointer(pointer), pointer) == expected


@pytest.mark.parametrize("pointer", ["foo", "/a~2b", "/a~", "/~x"])
def test_invalid_pointers_are_refused(pointer):
    with pytest.raises(PointerError):
        parse_pointer(pointer)


def test_tilde_one_is_unescaped_before_tilde_zero():
    # "~01" is "~1" (a tilde then 1), not "/" (RFC 6901 section 4: ~1 first, then ~0).
    assert parse_pointer("/~01") == ["~1"]


@pytest.mark.parametrize("token", ["01", "-", "2", "+1", "1.0", "\u0661"])
def test_array_indexes_are_plain_decimal_without_leading_zero(token):
    with pytest.raises(KeyError):
        resolve({"a": ["x", "y"]}, ["a", token], f"/a/{token}")


# --- RFC 6902 appendix A ------------------------------------------------------------------------

APPLIED = [
    ("A.1", {"foo": "bar"}, [op("add", "/baz", "qux")], {"baz": "qux", "foo": "bar"}),
    ("A.2", {"foo": ["bar", "baz"]}, [op("add", "/foo/1", "qux")], {"foo": ["bar", "qux", "baz"]}),
    ("A.3", {"baz": "qux", "foo": "bar"}, [op("remove", "/baz")], {"foo": "bar"}),
    ("A.4", {"foo": ["bar", "qux", "baz"]}, [op("remove", "/foo/1")], {"foo": ["bar", "baz"]}),
    ("A.5", {"baz": "qux", "foo": "bar"}, [op("replace", "/baz", "boo")], {"baz": "boo", "foo": "bar"}),
    ("A.6", {"foo": {"bar": "baz", "waldo": "fred"}, "qux": {"corge": "grault"}},
     [op("move", "/qux/thud", from_="/foo/waldo")],
     {"foo": {"bar": "baz"}, "qux": {"corge": "grault", "thud": "fred"}}),
    ("A.7", {"foo": ["all", "grass", "cows", "eat"]}, [op("move", "/foo/3", from_="/foo/1")],
     {"foo": ["all", "cows", "eat", "grass"]}),
    ("A.8", {"baz": "qux", "foo": ["a", 2, "c"]}, [op("test", "/baz", "qux"), op("test", "/foo/1", 2)],
     {"baz": "qux", "foo": ["a", 2, "c"]}),
    ("A.10", {"foo": "bar"}, [op("add", "/child", {"grandchild": {}})], {"foo": "bar", "child": {"grandchild": {}}}),
    ("A.11", {"foo": "bar"}, [op("add", "/baz", "qux")], {"foo": "bar", "baz": "qux"}),
    ("A.14", {"/": 9, "~1": 10}, [op("test", "/~01", 10)], {"/": 9, "~1": 10}),
    ("A.16", {"foo": ["bar"]}, [op("add", "/foo/-", ["abc", "def"])], {"foo": ["bar", ["abc", "def"]]}),
    # Not in the appendix, from section 4: copy; replace of the root; test of a number by value.
    ("copy", {"a": {"b": [1]}}, [op("copy", "/c", from_="/a/b")], {"a": {"b": [1]}, "c": [1]}),
    ("root", {"a": 1}, [op("replace", "", {"b": 2})], {"b": 2}),
    ("number", {"a": 1}, [op("test", "/a", 1.0)], {"a": 1}),
]


@pytest.mark.parametrize(("case", "document", "patch", "expected"), APPLIED, ids=[c[0] for c in APPLIED])
def test_rfc6902_examples(case, document, patch, expected):
    before = copy.deepcopy(document)
    assert apply_patch(document, patch) == expected
    assert document == before  # the input is never changed


REFUSED = [
    ("A.9", {"baz": "qux"}, [op("test", "/baz", "bar")], 0, "value", "test failed: /baz is \"qux\", not \"bar\""),
    ("A.12", {"foo": "bar"}, [op("add", "/baz/bat", "qux")], 0, "path", "/baz/bat does not exist: the root has no "
                                                                         "member 'baz'"),
    ("A.15", {"/": 9, "~1": 10}, [op("test", "/~01", "10")], 0, "value", "test failed: /~01 is 10, not \"10\""),
    ("remove-missing", {"a": {}}, [op("add", "/b", 1), op("remove", "/a/x")], 1, "path",
     "/a/x does not exist: /a has no member 'x'"),
    ("replace-missing", {"a": [1]}, [op("replace", "/a/1", 2)], 0, "path",
     "/a/1 does not exist: /a is an array of 1, and '1' is not an index of it"),
    ("move-from-missing", {"a": 1}, [op("move", "/b", from_="/c")], 0, "from", "/c does not exist"),
    ("copy-from-missing", {"a": 1}, [op("copy", "/b", from_="/c/d")], 0, "from", "/c/d does not exist"),
    ("move-into-child", {"a": {"b": 1}}, [op("move", "/a/b/c", from_="/a")], 0, "from", "cannot move /a into its own"),
    ("add-past-end", {"a": [1]}, [op("add", "/a/2", 3)], 0, "path", "'2' is not an index of the array there"),
    ("test-bool-is-not-number", {"a": True}, [op("test", "/a", 1)], 0, "value", "test failed"),
    ("remove-root", {"a": 1}, [op("remove", "")], 0, "path", "the root cannot be removed"),
]


@pytest.mark.parametrize(("case", "document", "patch", "index", "field", "message"), REFUSED,
                         ids=[c[0] for c in REFUSED])
def test_rfc6902_failures_name_the_operation(case, document, patch, index, field, message):
    with pytest.raises(PatchError) as caught:
        apply_patch(document, patch)
    assert (caught.value.index, caught.value.field) == (index, field)
    assert message in caught.value.message


def test_added_values_are_copies():
    value = {"k": ["v"]}
    first = apply_patch({}, [op("add", "/x", value)])
    first["x"]["k"].append("changed")
    assert value == {"k": ["v"]}


def test_json_equality_is_by_json_type():
    assert json_equal({"a": [1, 2.0]}, {"a": [1.0, 2]})
    assert not json_equal(True, 1) and not json_equal(0, False) and not json_equal(None, 0)
    assert not json_equal([1, 2], [2, 1]) and json_equal({"a": 1, "b": 2}, {"b": 2, "a": 1})
    assert not json_equal("1", 1)


# --- RFC 7386 appendix A ------------------------------------------------------------------------

MERGES = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize(("target", "patch", "expected"), MERGES)
def test_rfc7386_examples(target, patch, expected):
    before = copy.deepcopy(target)
    assert merge_patch(target, patch) == expected
    assert target == before
