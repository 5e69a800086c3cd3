"""Evaluating HCL expressions as Terraform would before plan, on python-hcl2's parse tree.

python-hcl2 parses (a maintained Lark grammar of HCL2); Terraform's evaluation is not in any
Python library, so the part luxguard needs is here: literals, templates, collections, operators,
conditionals, references (`var.`, `local.`, resources, `each.`, `count.`) and the functions
configurations use to build names and policies (`jsonencode`, `format`, `merge`, ...). Whatever
cannot be evaluated without a plan (data sources, apply-time attributes, unsupported functions,
`for` expressions over unknowns) is `Unknown`, with the reason, never a guess.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Optional, Protocol

from hcl2.utils import process_escape_sequences
from lark import Token, Tree

from luxguard.core.unknowns import Unknown, first_unknown, is_unknown


class Scope(Protocol):
    """Where names come from; a Terraform module implements it (terraform_hcl.py)."""

    def lookup(self, root: str, steps: list[Any], text: str) -> Any: ...


def trees(node: Tree) -> list[Tree]:
    return [c for c in node.children if isinstance(c, Tree) and c.data != "new_line_or_comment"]


def identifier_name(node: Any) -> str:
    """The text of an identifier / keyword / literal used as a name."""
    if isinstance(node, Token):
        return str(node)
    return "".join(str(t) for t in node.scan_values(lambda v: isinstance(v, Token)))


def source_text(node: Any) -> str:
    """An expression roughly as written, for messages (`var.region`, `aws.eu`)."""
    if isinstance(node, Token):
        return str(node)
    return "".join(str(t) for t in node.scan_values(lambda v: isinstance(v, Token))).strip()


def traversal(node: Tree) -> Optional[tuple[str, list[Any], Tree]]:
    """`a.b["c"][0]` -> ("a", [attr b, index node, index node], root); None if not a traversal."""
    steps: list[Any] = []
    while True:
        if node.data == "expr_term" and len(trees(node)) == 1 and not _has_paren(node):
            node = trees(node)[0]
            continue
        if node.data == "get_attr_expr_term":
            base, attr = trees(node)
            steps.insert(0, ("attr", identifier_name(trees(attr)[0])))
            node = base
            continue
        if node.data == "index_expr_term":
            base, index = trees(node)
            steps.insert(0, ("index", index))
            node = base
            continue
        if node.data == "identifier":
            return identifier_name(node), steps, node
        return None


def _has_paren(node: Tree) -> bool:
    return any(isinstance(c, Token) and c.type == "LPAR" for c in node.children)


class Evaluator:
    """Evaluates expression trees in a scope; names resolve through `scope.lookup`."""

    def __init__(self, scope: Scope, locals_: Optional[dict[str, Any]] = None):
        self.scope = scope
        self.locals = dict(locals_ or {})   # iterator names of `for`/`dynamic` (e.g. ingress.value)

    def child(self, **names: Any) -> "Evaluator":
        return Evaluator(self.scope, {**self.locals, **names})

    # --- entry point ---------------------------------------------------------------------------
    def eval(self, node: Any) -> Any:
        if isinstance(node, Token):
            return str(node)
        method: Callable[[Tree], Any] = getattr(self, f"_{node.data}", None)
        if method is None:
            return Unknown(f"`{source_text(node)[:60]}` is not evaluated before plan")
        return method(node)

    def step(self, value: Any, step: tuple[str, Any]) -> Any:
        """Apply one attribute or index step (its key already evaluated) to a value."""
        kind, key = step
        if is_unknown(value):
            return value
        if is_unknown(key):
            return key
        if isinstance(value, dict):
            return value[str(key)] if str(key) in value else Unknown(f"no attribute {key!r}")
        if isinstance(value, list) and isinstance(key, (int, float)) and 0 <= int(key) < len(value):
            return value[int(key)]
        return Unknown(f"cannot take {key!r} of {type(value).__name__}")

    def _index_value(self, index: Tree) -> Any:
        if index.data == "short_index":
            return int(next(str(t) for t in index.children if isinstance(t, Token) and t.type == "INT_LITERAL"))
        value = self.eval(trees(index)[0])
        return int(value) if isinstance(value, float) and value.is_integer() else value

    # --- terms -----------------------------------------------------------------------------------
    def _expr_term(self, node: Tree) -> Any:
        found = traversal(node) if not _has_paren(node) else None
        if found is not None and (found[1] or found[0] not in ("null", "true", "false")):
            return self._reference(*found, node)
        return self.eval(trees(node)[0])

    def _get_attr_expr_term(self, node: Tree) -> Any:
        return self._traverse(node)

    def _index_expr_term(self, node: Tree) -> Any:
        return self._traverse(node)

    def _traverse(self, node: Tree) -> Any:
        found = traversal(node)
        if found is not None:
            return self._reference(*found, node)
        base, step = trees(node)
        value = self.eval(base)
        if node.data == "get_attr_expr_term":
            return self.step(value, ("attr", identifier_name(trees(step)[0])))
        return self.step(value, ("index", self._index_value(step)))

    def _reference(self, root: str, steps: list[Any], root_node: Tree, whole: Tree) -> Any:
        resolved = [(k, a if k == "attr" else self._index_value(a)) for k, a in steps]
        if root in self.locals:
            value = self.locals[root]
            for step in resolved:
                value = self.step(value, step)
            return value
        return self.scope.lookup(root, resolved, source_text(whole))

    def _identifier(self, node: Tree) -> Any:
        return self._reference(identifier_name(node), [], node, node)

    def _literal_value(self, node: Tree) -> Any:
        return {"true": True, "false": False, "null": None}[identifier_name(node)]

    def _int_lit(self, node: Tree) -> Any:
        return int(str(node.children[0]))

    def _float_lit(self, node: Tree) -> Any:
        return float(str(node.children[0]))

    def _string(self, node: Tree) -> Any:
        parts: list[Any] = []
        for part in trees(node):
            for piece in part.children:
                if isinstance(piece, Token) and piece.type == "STRING_CHARS":
                    parts.append(process_escape_sequences(str(piece)))
                elif isinstance(piece, Token) and piece.type == "ESCAPED_INTERPOLATION":
                    parts.append(str(piece)[1:])
                elif isinstance(piece, Tree) and piece.data == "interpolation":
                    parts.append(self.eval(trees(piece)[0]))
                else:
                    return Unknown("template directives (%{...}) are not evaluated before plan")
        return template(parts)

    def _heredoc_template(self, node: Tree) -> Any:
        return self._heredoc(str(node.children[0]), trim=False)

    def _heredoc_template_trim(self, node: Tree) -> Any:
        return self._heredoc(str(node.children[0]), trim=True)

    def _heredoc(self, raw: str, trim: bool) -> Any:
        lines = raw.split("\n")[1:-2]     # drop <<EOF and the closing marker (and its newline)
        if trim:
            indent = min((len(line) - len(line.lstrip()) for line in lines if line.strip()), default=0)
            lines = [line[indent:] for line in lines]
        body = "\n".join(lines) + "\n"
        if "${" not in body:
            return body
        from luxguard.sources.terraform_hcl import parse_expression

        quoted = '"' + body.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
        return self.eval(parse_expression(quoted))

    def _template_string(self, node: Tree) -> Any:
        return Unknown("escaped template strings are not evaluated before plan")

    def _tuple(self, node: Tree) -> Any:
        return [self.eval(child) for child in trees(node)]

    def _object(self, node: Tree) -> Any:
        out: dict[str, Any] = {}
        for elem in trees(node):
            key_node, value_node = trees(elem)
            key = self._object_key(key_node)
            if is_unknown(key):
                return key
            out[str(key)] = self.eval(value_node)
        return out

    def _object_key(self, key_node: Tree) -> Any:
        inner = trees(key_node)[0] if trees(key_node) else key_node
        found = traversal(inner) if isinstance(inner, Tree) else None
        if found is not None and not found[1]:
            return found[0]                      # a bare name is the key itself
        if isinstance(inner, Tree) and inner.data == "keyword":
            return identifier_name(inner)
        return self.eval(inner)

    # --- operators ------------------------------------------------------------------------------
    def _conditional(self, node: Tree) -> Any:
        condition, yes, no = trees(node)
        test = self.eval(condition)
        if is_unknown(test):
            return test
        return self.eval(yes if test else no)

    def _unary_op(self, node: Tree) -> Any:
        operator = str(node.children[0])
        value = self.eval(trees(node)[0])
        if is_unknown(value):
            return value
        return (not value) if operator == "!" else -value

    def _binary_op(self, node: Tree) -> Any:
        left_node, term = trees(node)
        operator_node, right_node = trees(term)
        operator = identifier_name(operator_node)
        left = self.eval(left_node)
        if operator == "&&" and left is False or operator == "||" and left is True:
            return left
        right = self.eval(right_node)
        for value in (left, right):
            if is_unknown(value):
                return value
        try:
            return BINARY[operator](left, right)
        except (TypeError, ZeroDivisionError):
            return Unknown(f"cannot evaluate `{source_text(node)[:60]}`")

    # --- functions and for expressions ------------------------------------------------------------
    def _function_call(self, node: Tree) -> Any:
        parts = trees(node)
        name = identifier_name(parts[0])
        args_node = next((p for p in parts if p.data == "arguments"), None)
        args = [self.eval(a) for a in trees(args_node)] if args_node is not None else []
        function = FUNCTIONS.get(name)
        if function is None:
            return Unknown(f"function {name}() is not evaluated before plan")
        if name not in LAZY_UNKNOWN:
            unknown = next((first_unknown(a) for a in args if first_unknown(a) is not None), None)
            if unknown is not None:
                return unknown
        try:
            return function(*args)
        except (TypeError, ValueError, KeyError, IndexError):
            return Unknown(f"{name}() could not be evaluated on these arguments")

    def _for_tuple_expr(self, node: Tree) -> Any:
        return self._for(node, tuple_result=True)

    def _for_object_expr(self, node: Tree) -> Any:
        return self._for(node, tuple_result=False)

    def _for(self, node: Tree, tuple_result: bool) -> Any:
        intro = next(p for p in trees(node) if p.data == "for_intro")
        names = [identifier_name(p) for p in trees(intro) if p.data == "identifier"]
        collection = self.eval([p for p in trees(intro) if p.data != "identifier"][0])
        rest = [p for p in trees(node) if p.data != "for_intro"]
        condition = next((trees(p)[0] for p in rest if p.data == "for_cond"), None)
        body = [p for p in rest if p.data != "for_cond"]
        if first_unknown(collection) is not None:
            return Unknown("a `for` expression over a value not known before plan")
        pairs = list(collection.items()) if isinstance(collection, dict) else list(enumerate(collection or []))
        out_list: list[Any] = []
        out_map: dict[str, Any] = {}
        for key, value in pairs:
            scope = self.child(**({names[0]: value} if len(names) == 1 else {names[0]: key, names[1]: value}))
            if condition is not None:
                keep = scope.eval(condition)
                if is_unknown(keep):
                    return keep
                if not keep:
                    continue
            if tuple_result:
                out_list.append(scope.eval(body[0]))
            else:
                out_map[str(scope.eval(body[0]))] = scope.eval(body[1])
        return out_list if tuple_result else out_map


def template(parts: list[Any]) -> Any:
    """A string template's parts -> the string (Unknown if any part is)."""
    for part in parts:
        if is_unknown(part):
            return part
    if len(parts) == 1 and not isinstance(parts[0], str):
        return parts[0]
    return "".join(_to_string(p) for p in parts)


def _to_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _number(value: Any) -> float:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else float(value)


BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b,
    "<": lambda a, b: _number(a) < _number(b), ">": lambda a, b: _number(a) > _number(b),
    "<=": lambda a, b: _number(a) <= _number(b), ">=": lambda a, b: _number(a) >= _number(b),
    "+": lambda a, b: _number(a) + _number(b), "-": lambda a, b: _number(a) - _number(b),
    "*": lambda a, b: _number(a) * _number(b), "/": lambda a, b: _number(a) / _number(b),
    "%": lambda a, b: _number(a) % _number(b),
    "&&": lambda a, b: bool(a) and bool(b), "||": lambda a, b: bool(a) or bool(b),
}


def _jsonencode(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)


def _format(spec: str, *args: Any) -> str:
    import re

    values = iter(args)
    return re.sub(r"%(%|[-+ #0-9.]*[a-zA-Z])", lambda m: "%" if m.group(1) == "%" else _to_string(next(values)), spec)


def _coalesce(*args: Any) -> Any:
    for arg in args:
        if is_unknown(arg):
            return arg
        if arg not in (None, ""):
            return arg
    return None


def _try(*args: Any) -> Any:
    return next((a for a in args if not is_unknown(a) and first_unknown(a) is None), args[-1] if args else None)


def _lookup(mapping: dict, key: str, *default: Any) -> Any:
    if key in mapping:
        return mapping[key]
    if default:
        return default[0]
    raise KeyError(key)


def _flatten(value: list) -> list:
    out: list = []
    for item in value:
        out.extend(_flatten(item) if isinstance(item, list) else [item])
    return out


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "jsonencode": _jsonencode,
    "jsondecode": json.loads,
    "tostring": _to_string,
    "tonumber": _number,
    "tobool": lambda v: v if isinstance(v, bool) else str(v).lower() == "true",
    "tolist": list, "toset": lambda v: sorted(set(v), key=str), "tomap": dict,
    "lower": lambda s: s.lower(), "upper": lambda s: s.upper(), "trimspace": lambda s: s.strip(),
    "format": _format,
    "join": lambda sep, items: sep.join(_to_string(i) for i in items),
    "split": lambda sep, text: text.split(sep),
    "replace": lambda text, old, new: text.replace(old, new),
    "concat": lambda *lists: [i for items in lists for i in items],
    "merge": lambda *maps: {k: v for m in maps for k, v in (m or {}).items()},
    "lookup": _lookup,
    "length": len,
    "element": lambda items, i: items[int(i) % len(items)],
    "contains": lambda items, v: v in items,
    "keys": lambda m: sorted(m), "values": lambda m: [m[k] for k in sorted(m)],
    "flatten": _flatten,
    "compact": lambda items: [i for i in items if i not in (None, "")],
    "distinct": lambda items: list(dict.fromkeys(items)),
    "coalesce": _coalesce,
    "try": _try,
    "min": lambda *v: min(_number(x) for x in v), "max": lambda *v: max(_number(x) for x in v),
}
LAZY_UNKNOWN = {"coalesce", "try"}
