"""Vectorised evaluation: the same syntax tree over columns of facts for N entities at once, exact.

Every number is an exact rational ``num / den`` in yuan (for money), with ``num`` an int64 array
(or a Python int when the value is the same for every entity) and ``den`` a positive Python int
shared by all entities, or an int64 array once something has been divided by a column. So
``rent × 70%`` is ``(rent_fen × 7) / (100 × 10)`` and money is rounded half-up to the fen at the end
with integer division, exactly as the scalar evaluator does with ``Fraction``.

Overflow is never silent: each value carries a bound on the magnitude of its numerator and
denominator, propagated through every operation; when a result could leave ±2**62 the operation
switches to Python integers in object arrays (slower, still exact).

Errors are per entity: a division by zero or a date before a parameter took effect marks that
entity in an error mask, and ``if``/``and``/``or`` mask it out where the scalar evaluator would
not have evaluated that branch. Missing inputs (a fact column, a parameter) raise for the batch.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np

from .checker import literal_int
from .errors import LangEvalError
from .nodes import Binary, Call, FactRef, FormulaRef, If, Literal, Node, ParamRef, Unary
from .symbols import ParamShape, Type
from .values import Dated, Schedule, exact

LIMIT = 2**62
EPOCH = dt.date(1970, 1, 1)
DATE_BOUND = 4_000_000  # |days since 1970| for any date up to year 9999

Int = Any  # np.ndarray of int64/object, or a Python int
Mask = np.ndarray | None


@dataclass(frozen=True, slots=True)
class RationalColumn:
    """Exact decimals for N entities: ``num[i] / den`` (``den`` an int or an array, positive)."""

    num: np.ndarray
    den: Any = 1


class Rows(Mapping[str, Any]):
    """Some rows of a mapping of fact columns, taken from a column the first time it is read: evaluating a
    measure only over the entities it can concern (its beneficiary kinds, its jurisdictions) without copying
    the facts it never reads."""

    def __init__(self, columns: Mapping[str, Any], rows: np.ndarray) -> None:
        self.source = columns
        self.rows = rows
        self._taken: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        found = self._taken.get(name)
        if found is None:
            raw = self.source[name]
            if isinstance(raw, RationalColumn):
                den = raw.den[self.rows] if _is_array(raw.den) else raw.den
                found = RationalColumn(np.asarray(raw.num)[self.rows], den)
            else:
                found = np.asarray(raw)[self.rows]
            self._taken[name] = found
        return found

    def __contains__(self, name: object) -> bool:
        return name in self.source

    def __iter__(self) -> Any:
        return iter(self.source)

    def __len__(self) -> int:
        return len(self.source)


@dataclass(slots=True)
class VNum:
    num: Int
    den: Int
    nb: int  # bound on |num|
    db: int  # bound on den
    err: Mask = None


@dataclass(slots=True)
class VBool:
    val: Any  # bool array or Python bool
    err: Mask = None


@dataclass(slots=True)
class VDate:
    days: Int  # days since 1970-01-01
    err: Mask = None


V = VNum | VBool | VDate


@dataclass(frozen=True, slots=True)
class VectorColumn:
    """A formula's value for every entity.

    ``values``: Money → int64 fen (rounded half-up, as the scalar result); Integer → int64;
    Bool → bool; Date → datetime64[D]; Decimal → numerators over ``denominators`` (exact).
    Arrays are object arrays of Python ints where a value does not fit int64.
    ``errors``: True where the scalar evaluation of that entity raises (its value is then 0/False);
    re-run the scalar evaluator on such an entity to get the explanation.
    """

    type: Type
    values: np.ndarray
    denominators: Any = None
    errors: Mask = None

    def __len__(self) -> int:
        return len(self.values)

    def exact_value(self, i: int) -> Any:
        """Entity ``i``'s value as the scalar ``Result.value``: Money → Decimal yuan, Decimal → Fraction."""
        v = self.values[i]
        if self.type is Type.MONEY:
            return Decimal(int(v)).scaleb(-2)
        if self.type is Type.DECIMAL:
            den = self.denominators[i] if isinstance(self.denominators, np.ndarray) else self.denominators
            return Fraction(int(v), int(den))
        if self.type is Type.INTEGER:
            return int(v)
        if self.type is Type.BOOL:
            return bool(v)
        return v.item()


# -- exact integer helpers ---------------------------------------------------------------------


def _is_array(x: Any) -> bool:
    return isinstance(x, np.ndarray)


def _obj(x: Int) -> Int:
    if _is_array(x) and x.dtype != object:
        return x.astype(object)
    return x


def _bound_of(x: Int) -> int:
    if not _is_array(x):
        return abs(int(x))
    if x.size == 0:
        return 0
    return int(max(abs(int(x.max())), abs(int(x.min()))))


def _mul(a: Int, ab: int, b: Int, bb: int) -> tuple[Int, int]:
    if not _is_array(b) and b == 1:
        return a, ab
    if not _is_array(a) and a == 1:
        return b, bb
    bound = ab * bb
    if max(bound, ab, bb) > LIMIT:
        # Static bounds are pessimistic (a date difference is bounded by ±10,000 years); measure the
        # operands before paying for Python integers.
        ab, bb = min(ab, _bound_of(a)), min(bb, _bound_of(b))
        bound = ab * bb
        if max(bound, ab, bb) > LIMIT:
            a, b = _obj(a), _obj(b)
    return a * b, bound


def _add(a: Int, ab: int, b: Int, bb: int, sign: int = 1) -> tuple[Int, int]:
    bound = ab + bb
    if bound > LIMIT:
        ab, bb = min(ab, _bound_of(a)), min(bb, _bound_of(b))
        bound = ab + bb
        if bound > LIMIT:
            a, b = _obj(a), _obj(b)
    return (a + b if sign > 0 else a - b), bound


def _err(*errs: Mask) -> Mask:
    out = None
    for e in errs:
        if e is None:
            continue
        out = e if out is None else (out | e)
    return out


def _where(cond: Any, a: Any, b: Any) -> Any:
    if isinstance(cond, bool | np.bool_):
        return a if cond else b
    if not _is_array(a) and not _is_array(b) and a == b:
        return a
    if (_is_array(a) and a.dtype == object) or (_is_array(b) and b.dtype == object):
        a, b = _obj(a), _obj(b)
        if not _is_array(a):
            a = np.full(len(cond), a, dtype=object)
        if not _is_array(b):
            b = np.full(len(cond), b, dtype=object)
    elif (not _is_array(a) and abs(a) > LIMIT) or (not _is_array(b) and abs(b) > LIMIT):
        return _where(cond, np.full(len(cond), a, dtype=object), _obj(b))
    return np.where(cond, a, b)


def _masked_err(cond: Any, then_err: Mask, else_err: Mask) -> Mask:
    if then_err is None and else_err is None:
        return None
    if isinstance(cond, bool | np.bool_):
        return then_err if cond else else_err
    t = then_err if then_err is not None else False
    e = else_err if else_err is not None else False
    return np.where(cond, t, e)


def _align(a: VNum, b: VNum) -> tuple[Int, int, Int, int, Int, int]:
    """Numerators of a and b over one denominator: (an, anb, bn, bnb, den, db)."""
    if not _is_array(a.den) and not _is_array(b.den):
        if a.den == b.den:
            return a.num, a.nb, b.num, b.nb, a.den, a.db
        common = math.lcm(a.den, b.den)
        an, anb = _mul(a.num, a.nb, common // a.den, common // a.den)
        bn, bnb = _mul(b.num, b.nb, common // b.den, common // b.den)
        return an, anb, bn, bnb, common, common
    an, anb = _mul(a.num, a.nb, b.den, b.db)
    bn, bnb = _mul(b.num, b.nb, a.den, a.db)
    den, db = _mul(a.den, a.db, b.den, b.db)
    return an, anb, bn, bnb, den, db


def _comparable(a: Int, ab: int, b: Int, bb: int) -> tuple[Int, Int]:
    """Operands that numpy can compare exactly (object arrays once a value may leave int64)."""
    if max(ab, bb) > LIMIT:
        return _obj(a), _obj(b)
    return a, b


def _round_div(num: Int, nb: int, den: Int, db: int) -> tuple[Int, int]:
    """num / den rounded half away from zero, as an integer."""
    if not _is_array(den) and den == 1:
        return num, nb
    if 2 * nb + db > LIMIT or 2 * db > LIMIT:
        num, den = _obj(num), _obj(den)
    if not _is_array(num) and not _is_array(den):
        q = (2 * abs(num) + den) // (2 * den)
        return (-q if num < 0 else q), nb
    q = (2 * abs(num) + den) // (2 * den)
    return np.where(num < 0, -q, q), nb


def _to_days(d: dt.date) -> int:
    return (d - EPOCH).days


def _frac(v: Fraction | int) -> VNum:
    f = Fraction(v)
    return VNum(f.numerator, f.denominator, abs(f.numerator), f.denominator)


# -- the evaluator -----------------------------------------------------------------------------


class VectorEvaluator:
    def __init__(self, program: Any, columns: Mapping[str, Any], params: Mapping[str, Any], *,
                 as_of: dt.date | None = None, size: int | None = None,
                 extra_types: Mapping[int, Type] | None = None) -> None:
        self.program = program
        self.symbols = program.symbols
        self.types = program.types if not extra_types else {**program.types, **extra_types}
        self._own_types = bool(extra_types)
        self.columns = columns
        self.params = params
        self.as_of = as_of
        lengths = ({len(columns.rows)} if isinstance(columns, Rows) else
                   {len(v.num) if isinstance(v, RationalColumn) else len(v) for v in columns.values()})
        if size is None:
            if len(lengths) != 1:
                raise LangEvalError("无法确定实体个数：请给出 size，或至少给出一列事实" if not lengths
                                    else "各列事实的长度不一致", None, code="bad_value")
            size = lengths.pop()
        elif lengths - {size}:
            raise LangEvalError(f"各列事实的长度必须都是 {size}", None, code="bad_value")
        self.size = size
        self.fact_cache: dict[str, V] = {}
        self.memo: dict[str, V] = {}
        self.schedule_cache: dict[tuple[str, int], tuple[VNum, Any, Any]] = {}

    # -- results ---------------------------------------------------------------------------------

    def result(self, name: str) -> VectorColumn:
        formula = self.program.formulas[name]
        return self.column(self.formula(name), formula.type)

    def evaluate_node(self, node: Node, type_: Type, extra_types: Mapping[int, Type] | None = None) -> VectorColumn:
        """Evaluate another expression compiled against the same program (conditions and amounts of many
        measures share one evaluator, so facts are read and named formulas computed once per batch)."""
        if extra_types:
            if not self._own_types:
                self.types = dict(self.types)
                self._own_types = True
            self.types.update(extra_types)
        return self.result_of(node, type_)

    def result_of(self, node: Node, type_: Type) -> VectorColumn:
        return self.column(self.eval(node), type_)

    def broadcast(self, x: Any, dtype: Any) -> np.ndarray:
        if _is_array(x):
            return x
        if dtype is np.int64 and abs(int(x)) > LIMIT:
            return np.full(self.size, int(x), dtype=object)
        return np.full(self.size, x, dtype=dtype)

    def column(self, v: V, type_: Type) -> VectorColumn:
        err = v.err
        if isinstance(v, VBool):
            values = self.broadcast(np.bool_(v.val) if not _is_array(v.val) else v.val, bool)
            if err is not None:
                values = values & ~err
            return VectorColumn(type_, values, None, err)
        if isinstance(v, VDate):
            days = self.broadcast(v.days, np.int64)
            if err is not None:
                days = np.where(err, 0, days)
            return VectorColumn(type_, days.astype("datetime64[D]"), None, err)
        assert isinstance(v, VNum)
        denominators = None
        if type_ is Type.MONEY:
            if not _is_array(v.den) and 100 % v.den == 0:
                values, _ = _mul(v.num, v.nb, 100 // v.den, 100 // v.den)
            else:
                scaled, sb = _mul(v.num, v.nb, 100, 100)
                values, _ = _round_div(scaled, sb, v.den, v.db)
        elif type_ is Type.INTEGER:
            assert _is_array(v.den) is False and v.den == 1, "Integer values have denominator 1"
            values = v.num
        else:
            values, denominators = v.num, v.den
            if _is_array(denominators):
                denominators = denominators.copy() if err is None else np.where(err, 1, denominators)
        values = self.broadcast(values, np.int64)
        if values.dtype == object and _bound_of(values) <= LIMIT:
            values = values.astype(np.int64)
        if err is not None:
            values = np.where(err, 0, values)
        return VectorColumn(type_, values, denominators, err)

    # -- inputs ----------------------------------------------------------------------------------

    def fact(self, node: FactRef) -> V:
        cached = self.fact_cache.get(node.name)
        if cached is not None:
            return cached
        decl = self.symbols.facts[node.name]
        if node.name not in self.columns:
            raise LangEvalError(f"缺少事实 fact.{node.name} 的数据列", node.span, code="missing_fact")
        raw = self.columns[node.name]
        what = f"事实 fact.{node.name} 的数据列"
        if decl.type is Type.DECIMAL and isinstance(raw, RationalColumn):
            num = np.asarray(raw.num)
            self._check_int(num, what)
            den = raw.den
            if _is_array(den):
                den = np.asarray(den)
                self._check_int(den, what)
                if den.size and den.min() <= 0:
                    raise LangEvalError(f"{what}的分母必须为正", node.span, code="bad_value")
                v: V = VNum(num, den, _bound_of(num), _bound_of(den))
            else:
                if int(den) <= 0:
                    raise LangEvalError(f"{what}的分母必须为正", node.span, code="bad_value")
                v = VNum(num, int(den), _bound_of(num), int(den))
        else:
            arr = np.asarray(raw)
            if decl.type is Type.BOOL:
                if arr.dtype != bool:
                    raise LangEvalError(f"{what}应为真假值（bool）数组", node.span, code="bad_value")
                v = VBool(arr)
            elif decl.type is Type.DATE:
                if arr.dtype.kind != "M":
                    raise LangEvalError(f"{what}应为日期（datetime64）数组", node.span, code="bad_value")
                days = arr.astype("datetime64[D]")
                if np.isnat(days).any():
                    raise LangEvalError(f"{what}中有空日期", node.span, code="bad_value")
                v = VDate(days.astype(np.int64))
            else:
                self._check_int(arr, what + ("（金额以分为单位的整数）" if decl.type is Type.MONEY else ""))
                v = VNum(arr, 100 if decl.type is Type.MONEY else 1, _bound_of(arr),
                         100 if decl.type is Type.MONEY else 1)
        self.fact_cache[node.name] = v
        return v

    @staticmethod
    def _check_int(arr: np.ndarray, what: str) -> None:
        if arr.dtype.kind in "iu":
            return
        if arr.dtype == object and all(isinstance(x, int) and not isinstance(x, bool) for x in arr):
            return
        raise LangEvalError(f"{what}应为整数数组（不接受浮点数），得到的是 {arr.dtype}", None, code="bad_value")

    def param_raw(self, node: ParamRef) -> Any:
        if node.name not in self.params:
            raise LangEvalError(f"缺少参数 param.{node.name} 的值", node.span, code="missing_param")
        return self.params[node.name]

    def constant(self, value: Any, type_: Type) -> V:
        if type_ is Type.BOOL:
            return VBool(bool(value))
        if type_ is Type.DATE:
            return VDate(_to_days(value))
        return _frac(value)

    def table(self, node: ParamRef, values: list[Any], type_: Type, pad_zero: bool) -> tuple[np.ndarray, int, int]:
        """Values as one array over a common denominator: (table, den, bound)."""
        if type_ is Type.BOOL:
            return np.array(([False] if pad_zero else []) + [bool(v) for v in values]), 1, 1
        if type_ is Type.DATE:
            return np.array(([0] if pad_zero else []) + [_to_days(v) for v in values], dtype=np.int64), 1, DATE_BOUND
        fracs = [Fraction(v) for v in values]
        den = math.lcm(*(f.denominator for f in fracs))
        nums = ([0] if pad_zero else []) + [int(f * den) for f in fracs]
        bound = max(abs(n) for n in nums)
        return np.array(nums, dtype=np.int64 if bound <= LIMIT else object), den, bound

    def dated(self, node: ParamRef, on: VDate) -> V:
        decl = self.symbols.params[node.name]
        raw = self.param_raw(node)
        if not isinstance(raw, Dated):
            raise LangEvalError(f"参数 param.{node.name} 的值应为按日期的值 Dated([...])", node.span,
                                code="bad_value")
        values = [exact(v, decl.type, f"参数 param.{node.name}（{d.isoformat()} 起）") for d, v in raw.versions]
        if not _is_array(on.days):
            day = EPOCH + dt.timedelta(days=int(on.days))
            found = raw.in_force(day)
            if found is None:
                # Every entity that reaches this lookup fails, as the scalar evaluator would.
                v = self.constant(values[0], decl.type)
                return self._with_err(v, _err(on.err, np.ones(self.size, dtype=bool)))
            position = [d for d, _ in raw.versions].index(found[0])
            return self._with_err(self.constant(values[position], decl.type), on.err)
        starts = np.array([_to_days(d) for d, _ in raw.versions], dtype=np.int64)
        index = np.searchsorted(starts, on.days, side="right") - 1
        missing = np.asarray(index < 0)
        table, den, bound = self.table(node, values, decl.type, pad_zero=False)
        err = _err(on.err, missing if missing.any() else None)
        picked = table[np.maximum(index, 0)]
        if decl.type is Type.BOOL:
            return VBool(picked, err)
        if decl.type is Type.DATE:
            return VDate(picked, err)
        return VNum(picked, den, bound, den, err)

    @staticmethod
    def _with_err(v: V, err: Mask) -> V:
        v.err = _err(v.err, err)
        return v

    def param(self, node: ParamRef) -> V:
        decl = self.symbols.params[node.name]
        if decl.shape is ParamShape.DATED:
            if self.as_of is None:
                raise LangEvalError(f"参数 param.{node.name} 按日期生效，计算时必须给出计算日期", node.span,
                                    code="missing_date")
            raw = self.param_raw(node)
            if isinstance(raw, Dated) and raw.in_force(self.as_of) is None:
                raise LangEvalError(
                    f"参数 param.{node.name} 在 {self.as_of.isoformat()} 尚未生效", node.span,
                    code="param_not_in_force")
            return self.dated(node, VDate(_to_days(self.as_of)))
        raw = self.param_raw(node)
        if isinstance(raw, Schedule | Dated):
            raise LangEvalError(f"参数 param.{node.name} 应为单个值", node.span, code="bad_value")
        return self.constant(exact(raw, decl.type, f"参数 param.{node.name}"), decl.type)

    def schedule(self, node: ParamRef, year: VNum, membership: bool) -> V:
        decl = self.symbols.params[node.name]
        raw = self.param_raw(node)
        if not isinstance(raw, Schedule):
            raise LangEvalError(f"参数 param.{node.name} 的值应为时间表 Schedule([...])", node.span,
                                code="bad_value")
        n = len(raw)
        k = year.num
        # schedule() and in_schedule() usually read the same year column: compute the mask once.
        key = (node.name, id(year))
        cached = self.schedule_cache.get(key)
        if cached is not None and cached[0] is year:
            inside, idx = cached[1], cached[2]
        else:
            inside = (k >= 1) & (k <= n)
            idx = None
            if _is_array(k):
                idx = np.where(inside, k, 0)
                if idx.dtype == object:
                    idx = idx.astype(np.int64)
            self.schedule_cache[key] = (year, inside, idx)  # holding ``year`` keeps its id unique
        if membership:
            return VBool(bool(inside) if not _is_array(inside) else inside, year.err)
        values = [exact(v, decl.type, f"参数 param.{node.name} 第 {i + 1} 年") for i, v in enumerate(raw.values)]
        table, den, bound = self.table(node, values, decl.type, pad_zero=True)
        if idx is None:
            return VNum(int(table[k]) if inside else 0, den, bound, den, year.err)
        return VNum(table[idx], den, bound, den, year.err)

    # -- tree walk -------------------------------------------------------------------------------

    def formula(self, name: str) -> V:
        cached = self.memo.get(name)
        if cached is None:
            cached = self.eval(self.program.formulas[name].expr)
            self.memo[name] = cached
        return cached

    def eval(self, node: Node) -> V:
        if isinstance(node, Literal):
            return self.constant(node.value, node.type)
        if isinstance(node, FactRef):
            return self.fact(node)
        if isinstance(node, ParamRef):
            return self.param(node)
        if isinstance(node, FormulaRef):
            return self.formula(node.name)
        if isinstance(node, Unary):
            x = self.eval(node.operand)
            if node.op == "not":
                assert isinstance(x, VBool)
                return VBool(np.logical_not(x.val) if _is_array(x.val) else not x.val, x.err)
            assert isinstance(x, VNum)
            return VNum(-x.num, x.den, x.nb, x.db, x.err)
        if isinstance(node, If):
            return self.conditional(node)
        if isinstance(node, Binary):
            return self.binary(node)
        if isinstance(node, Call):
            return self.call(node)
        raise AssertionError(node)

    def conditional(self, node: If) -> V:
        c = self.eval(node.cond)
        assert isinstance(c, VBool)
        if not _is_array(c.val):
            chosen = self.eval(node.then if c.val else node.else_)
            return self._copy_with_err(chosen, c.err)
        a, b = self.eval(node.then), self.eval(node.else_)
        err = _err(c.err, _masked_err(c.val, a.err, b.err))
        return self.select(c.val, a, b, err)

    @staticmethod
    def _copy_with_err(v: V, err: Mask) -> V:
        if err is None:
            return v
        if isinstance(v, VNum):
            return VNum(v.num, v.den, v.nb, v.db, _err(v.err, err))
        if isinstance(v, VBool):
            return VBool(v.val, _err(v.err, err))
        return VDate(v.days, _err(v.err, err))

    def select(self, cond: Any, a: V, b: V, err: Mask) -> V:
        if isinstance(a, VBool) and isinstance(b, VBool):
            return VBool(_where(cond, a.val, b.val), err)
        if isinstance(a, VDate) and isinstance(b, VDate):
            return VDate(_where(cond, a.days, b.days), err)
        assert isinstance(a, VNum) and isinstance(b, VNum)
        if _is_array(a.den) or _is_array(b.den):
            return VNum(_where(cond, a.num, b.num), _where(cond, a.den, b.den), max(a.nb, b.nb),
                        max(a.db, b.db), err)
        an, anb, bn, bnb, den, db = _align(a, b)
        return VNum(_where(cond, an, bn), den, max(anb, bnb), db, err)

    def binary(self, node: Binary) -> V:
        op = node.op
        if op in ("and", "or"):
            a = self.eval(node.left)
            assert isinstance(a, VBool)
            if not _is_array(a.val):
                if (op == "and" and not a.val) or (op == "or" and a.val):
                    return VBool(a.val, a.err)
                b = self.eval(node.right)
                return self._copy_with_err(b, a.err)
            b = self.eval(node.right)
            assert isinstance(b, VBool)
            if op == "and":
                reached = a.val
                val = np.logical_and(a.val, b.val)
            else:
                reached = np.logical_not(a.val)
                val = np.logical_or(a.val, b.val)
            berr = None if b.err is None else (reached & b.err)
            return VBool(val, _err(a.err, berr))
        a, b = self.eval(node.left), self.eval(node.right)
        err = _err(a.err, b.err)
        if isinstance(a, VDate) or isinstance(b, VDate):
            return self.date_op(op, a, b, err)
        if isinstance(a, VBool):
            assert isinstance(b, VBool)
            val = (a.val == b.val) if op == "==" else (a.val != b.val)
            return VBool(val, err)
        assert isinstance(a, VNum) and isinstance(b, VNum)
        if op in ("+", "-"):
            an, anb, bn, bnb, den, db = _align(a, b)
            num, nb = _add(an, anb, bn, bnb, 1 if op == "+" else -1)
            return VNum(num, den, nb, db, err)
        if op == "*":
            num, nb = _mul(a.num, a.nb, b.num, b.nb)
            den, db = _mul(a.den, a.db, b.den, b.db)
            return VNum(num, den, nb, db, err)
        if op == "/":
            return self.divide(a, b, err)
        an, anb, bn, bnb, _, _ = _align(a, b)
        an, bn = _comparable(an, anb, bn, bnb)
        val = {"==": np.equal, "!=": np.not_equal, "<": np.less, "<=": np.less_equal, ">": np.greater,
               ">=": np.greater_equal}[op](an, bn)
        return VBool(bool(val) if not _is_array(val) else val, err)

    def divide(self, a: VNum, b: VNum, err: Mask) -> VNum:
        num, nb = _mul(a.num, a.nb, b.den, b.db)
        if not _is_array(b.num):
            if b.num == 0:
                return VNum(0, 1, 0, 1, _err(err, np.ones(self.size, dtype=bool)))
            if b.num < 0:
                num = -num
            den, db = _mul(a.den, a.db, abs(b.num), abs(b.num))
            return VNum(num, den, nb, db, err)
        zero = b.num == 0
        divisor = b.num
        if zero.any():
            divisor = np.where(zero, 1, divisor)
            err = _err(err, zero)
        negative = divisor < 0
        if negative.any():
            num = _where(negative, -num if _is_array(num) else np.full(self.size, -num), num)
            divisor = np.where(negative, -divisor, divisor)
        den, db = _mul(a.den, a.db, divisor, b.nb)
        if not _is_array(num):
            num = self.broadcast(num, np.int64)
        return VNum(num, den, nb, db, err)

    def date_op(self, op: str, a: V, b: V, err: Mask) -> V:
        if isinstance(a, VDate) and isinstance(b, VDate):
            if op == "-":
                return VNum(a.days - b.days, 1, 2 * DATE_BOUND, 1, err)
            val = {"==": np.equal, "!=": np.not_equal, "<": np.less, "<=": np.less_equal, ">": np.greater,
                   ">=": np.greater_equal}[op](a.days, b.days)
            return VBool(bool(val) if not _is_array(val) else val, err)
        date, number = (a, b) if isinstance(a, VDate) else (b, a)
        assert isinstance(date, VDate) and isinstance(number, VNum)
        offset = number.num if op == "+" else -number.num
        return VDate(date.days + offset, err)

    def call(self, node: Call) -> V:
        name, args = node.func, node.args
        if name in ("min", "max"):
            values = [self.eval(a) for a in args]
            result = values[0]
            for v in values[1:]:
                result = self.extreme(name, result, v)
            return result
        if name in ("floor", "ceil"):
            x = self.eval(args[0])
            assert isinstance(x, VNum)
            if not _is_array(x.den) and x.den == 1:
                return x
            num = _obj(x.num) if x.nb > LIMIT else x.num
            q = num // x.den if name == "floor" else -((-num) // x.den)
            return VNum(q, 1, x.nb, 1, x.err)
        if name == "abs":
            x = self.eval(args[0])
            assert isinstance(x, VNum)
            return VNum(abs(x.num), x.den, x.nb, x.db, x.err)
        if name == "round":
            x = self.eval(args[0])
            assert isinstance(x, VNum)
            digits = literal_int(args[1])
            assert digits is not None
            if digits >= 0 and not _is_array(x.den) and x.den == 1:
                return x  # already whole: an Integer stays an Integer with denominator 1
            if digits >= 0:
                scale = 10**digits
                scaled, sb = _mul(x.num, x.nb, scale, scale)
                q, qb = _round_div(scaled, sb, x.den, x.db)
                return VNum(q, scale, qb, scale, x.err)
            scale = 10**-digits
            den, db = _mul(x.den, x.db, scale, scale)
            q, qb = _round_div(x.num, x.nb, den, db)
            num, nb = _mul(q, qb, scale, scale)
            return VNum(num, 1, nb, 1, x.err)
        if name == "year":
            d = self.eval(args[0])
            assert isinstance(d, VDate)
            if not _is_array(d.days):
                return VNum((EPOCH + dt.timedelta(days=int(d.days))).year, 1, 9999, 1, d.err)
            years = d.days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
            return VNum(years, 1, 9999, 1, d.err)
        if name in ("schedule", "in_schedule"):
            year = self.eval(args[1])
            assert isinstance(year, VNum) and isinstance(args[0], ParamRef)
            return self.schedule(args[0], year, name == "in_schedule")
        if name == "at":
            on = self.eval(args[1])
            assert isinstance(on, VDate) and isinstance(args[0], ParamRef)
            return self.dated(args[0], on)
        raise AssertionError(name)

    def extreme(self, name: str, a: V, b: V) -> V:
        err = _err(a.err, b.err)
        if isinstance(a, VDate) and isinstance(b, VDate):
            f = np.minimum if name == "min" else np.maximum
            days = f(a.days, b.days)
            return VDate(days if _is_array(days) else int(days), err)
        assert isinstance(a, VNum) and isinstance(b, VNum)
        if _is_array(a.den) or _is_array(b.den):
            an, anb, bn, bnb, _, _ = _align(a, b)
            an, bn = _comparable(an, anb, bn, bnb)
            pick_a = (an <= bn) if name == "min" else (an >= bn)
            return VNum(_where(pick_a, a.num, b.num), _where(pick_a, a.den, b.den), max(a.nb, b.nb),
                        max(a.db, b.db), err)
        an, anb, bn, bnb, den, db = _align(a, b)
        if not _is_array(an) and not _is_array(bn):
            return VNum(min(an, bn) if name == "min" else max(an, bn), den, max(anb, bnb), db, err)
        if (not _is_array(an) and abs(an) > LIMIT) or (not _is_array(bn) and abs(bn) > LIMIT):
            an, bn = _obj(an), _obj(bn)
            an = an if _is_array(an) else np.full(self.size, an, dtype=object)
            bn = bn if _is_array(bn) else np.full(self.size, bn, dtype=object)
        f = np.minimum if name == "min" else np.maximum
        return VNum(f(an, bn), den, max(anb, bnb), db, err)
