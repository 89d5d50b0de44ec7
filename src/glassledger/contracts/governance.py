"""``governance``: the regulator's contract that organizes the authorities (seed 003, PoA).

Seed 003: the authorities are drawn by a credit-weighted lottery from the candidates (dealers,
CCPs and third-party guarantors with credit score ``C_i >= C_min``); the regulator is not a
candidate; the contract that manages authorities belongs to the regulator and "designates the
candidate list by the rules or vetoes given candidates, re-elects the authorities
periodically, monitors them, evicts those with a benign or Byzantine fault or whose institution
suffers a credit event, and holds a by-election". See docs/governance.md for the user guide.

**Candidates.** A registered, active participant with role ``dealer``, ``ccp`` or
``guarantor``, without role ``regulator``, whose score ``C_i`` (``score/<id>``, written at
genesis and by :meth:`Governance.set_score`) is at least ``min_credit_score`` and who is not
excluded (``excluded/<id>``: vetoed, evicted for a fault, or hit by a credit event, until the
regulator reinstates it).

**Draws (multi-party commit-reveal).** Every change of seats by lottery is a *draw* with a
closing height ``close``. Its *committers* are the regulator and the authorities sitting when
the draw opens (``committers``, not excluded). Each committer may commit ``sha256(seed)``
(``seed``: 32 fresh random bytes) in a block before ``close``; after ``close`` each reveals its
seed, the regulator first: the regulator's reveal is accepted in blocks ``close + 1 .. close +
reveal_timeout``, the authorities' once the regulator has revealed (or did not commit, or its
window has passed) and until ``deadline = close + 2 * reveal_timeout``. The lottery runs as
soon as every commitment is revealed, or at block ``deadline + 1`` with the reveals that came;
a missing reveal is left out and recorded as a public fault (``reveal_missed`` event,
``faults/<id>`` count). A draw that has a commitment is never reopened. The randomness is
:func:`lottery_randomness` of the closing block hash and every reveal in committer order. Draw
lifecycle (:data:`DRAW_TRANSITIONS`)::

    open --commit_seed--> open --block `close` begins--> revealing   (at least one commitment)
    open --block `close` begins--> commit_missed                      (no change of seats)
    revealing --reveal_seed--> revealing --all revealed | deadline--> (done: lottery run)
    open | revealing --a periodic election opens--> superseded | done (reveals so far)

A periodic *election* opens every ``election_period`` (E) blocks: draw ``close = k*E`` opens at
block ``k*E - election_window``. Its lottery draws the whole set of ``authority_count`` (N)
seats anew. A *by-election* opens when a seat must be filled (eviction, veto, suspension,
missed commitments) and no draw is open; it closes ``election_window`` blocks later and draws
only the free seats among eligible candidates not sitting. Why the regulator reveals first and
what withholding can still do: docs/governance.md ("bias bound").

**Eviction.** An authority is excluded and removed from its seat for: missed rounds beyond
``max_missed_rounds`` in a row (from the parent block's certificate, ``ctx.last_commit``: the
proposers of the failed rounds ``0 .. round-1``, i.e. ``authorities[(height + r) % N]``, and
the authorities whose commit seal is absent each miss one round; an authority that seals and
proposed no failed round resets its count), equivocation evidence (anyone may submit it), or a
credit event (the regulator). Removal for a benign reason (missed rounds, credit event,
veto) never takes the set below :data:`MIN_AUTHORITIES` (or below its size when already
smaller): such an authority keeps its seat until the by-election replaces it. An authority
*convicted of equivocation*, or suspended or deregistered in ``identity``, leaves the set at
the next activation height whatever its size (the quorum is then computed over the smaller
set); a seat whose key was revoked in ``identity`` passes to the participant's first
remaining key at the same activation height. :meth:`Governance.end_block` applies identity
changes made in the block, so they take effect at the same delay as any set change.

**Evidence** is bound to the height it proves: the conviction records it, and evidence about a
height at or below the signer's last reinstatement (``reinstated/<id>``) is refused.

**Authority set changes** go to ``authorities`` (layout in :mod:`glassledger.ledger.authorities`):
a change decided in block ``H`` is ``pending`` with ``effective_height = H +
authority_change_delay`` and is promoted in :meth:`Governance.begin_block` at that height; a
later change before then replaces it. ``history`` keeps ``[effective_height, members]`` of
every set, to check evidence about past heights.

State layout: ``authorities``, ``history``, ``score/<id>`` (int), ``excluded/<id>``
(``{"reason", "detail", "height", "proven_height"}``), ``reinstated/<id>`` (height of the
last reinstatement), ``missed/<id>`` (int), ``faults/<id>`` (withheld reveals, int), ``draw``
(the open draw or absent), ``draw_count`` (int).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any

from glassledger.contracts.lottery import MAX_AUTHORITIES, allocate_tokens, draw_authorities
from glassledger.contracts.lottery import lottery_weights as weights_of
from glassledger.errors import ContractError, DecodeError
from glassledger.ledger import codec
from glassledger.ledger.abi import ANY, Context, Contract, method
from glassledger.ledger.consensus.forks import ConflictingCertificates, double_signers
from glassledger.ledger.consensus.messages import EquivocationEvidence, check_equivocation
from glassledger.ledger.params import DEFAULT_PARAMS

NAME = "governance"
CANDIDATE_ROLES = frozenset({"dealer", "ccp", "guarantor"})
MIN_AUTHORITIES = 4
"""Smallest set an eviction may leave: 3f + 1 with f = 1, the least that tolerates one faulty
authority (quorum 3 of 4)."""
SEED_BYTES = 32
LOTTERY_DOMAIN = b"glassledger/lottery"

DRAW_TRANSITIONS: dict[tuple[str, str], str] = {
    ("open", "commit_seed"): "open",
    ("open", "close"): "revealing",
    ("open", "close_empty"): "commit_missed",
    ("revealing", "reveal_seed"): "revealing",
    ("revealing", "complete"): "done",
    ("open", "supersede"): "superseded",
}
#: Exclusion reasons after which an authority leaves its seat whatever the set size.
CONVICTIONS = frozenset({"equivocation"})

Member = dict[str, Any]  # {"id": str, "key": bytes}


def param(ctx: Context, name: str) -> Any:
    return ctx.params.get(name, DEFAULT_PARAMS[name])


def lottery_randomness(number: int, close_hash: bytes, reveals: list[tuple[str, bytes]]) -> bytes:
    """Randomness of draw ``number``: the closing block hash and every reveal ``(committer id,
    seed)`` in committer order (the regulator first), each id length-prefixed. With no reveal
    at all it is the closing block hash alone (every committer withheld)."""
    data = LOTTERY_DOMAIN + number.to_bytes(8, "big") + close_hash
    for who, seed in reveals:
        name = who.encode()
        data += len(name).to_bytes(2, "big") + name + seed
    return hashlib.sha256(data).digest()


def authority_record(ctx: Context) -> dict[str, Any]:
    return ctx.get("authorities", {"current": [], "pending": None, "effective_height": 0})


def latest_members(ctx: Context) -> list[Member]:
    """The most recently decided authority set (pending if any, else current)."""
    record = authority_record(ctx)
    return record["pending"] if record["pending"] is not None else record["current"]


def is_excluded(ctx: Context, participant: str) -> bool:
    return ctx.has(f"excluded/{participant}")


def is_convicted(ctx: Context, participant: str) -> bool:
    return ctx.get(f"excluded/{participant}", {}).get("reason") in CONVICTIONS


def in_good_standing(ctx: Context, participant: str) -> bool:
    """Registered and active in ``identity`` (a suspended participant cannot sit)."""
    record = ctx.read("identity", f"p/{participant}")
    return record is not None and bool(record["active"])


def candidate_scores(ctx: Context) -> dict[str, int]:
    """``{id: C_i}`` of every candidate (before the ``C_min`` threshold), see module docstring.

    Scans the ``score/`` keys: linear in the state size, so run only on elections."""
    scores = {}
    for key, score in ctx.scan("score/"):
        participant = key.removeprefix("score/")
        record = ctx.read("identity", f"p/{participant}")
        if (
            record is not None
            and record["active"]
            and CANDIDATE_ROLES & set(record["roles"])
            and "regulator" not in record["roles"]
            and not is_excluded(ctx, participant)
        ):
            scores[participant] = score
    return scores


def _transition(draw: dict[str, Any], event: str) -> str:
    state = DRAW_TRANSITIONS.get((draw["state"], event))
    if state is None:
        raise ContractError(f"draw {draw['number']}: {event!r} is not allowed in {draw['state']!r}")
    return state


def reveal_order(draw: dict[str, Any]) -> list[str]:
    """Committers in the order their reveals enter the randomness: the regulator, then the
    authorities in seat order."""
    regulator = draw.get("regulator", "")
    return ([regulator] if regulator else []) + [c for c in draw["committers"] if c != regulator]


def regulator_window_over(draw: dict[str, Any], height: int, timeout: int) -> bool:
    """Whether authorities may reveal in block ``height``: the regulator revealed, did not
    commit, or its window ``close + 1 .. close + reveal_timeout`` has passed."""
    regulator = draw.get("regulator", "")
    return (
        not regulator
        or regulator not in draw["digests"]
        or regulator in draw["seeds"]
        or height > draw["close"] + timeout
    )


class Governance(Contract):
    """Candidates, the authority lottery, eviction and by-election; see the module docstring."""

    name = NAME

    # ------------------------------------------------------------------ regulator methods

    @method("regulator")
    def set_score(self, ctx: Context, participant: str, score: int) -> None:
        """Set the credit score ``C_i`` of ``participant`` (rating-system scale, integer >= 0)."""
        self._require_participant(ctx, participant)
        ctx.require(score >= 0, f"a credit score is non-negative, got {score}")
        ctx.put(f"score/{participant}", score)
        ctx.emit("score_set", participant=participant, score=score)
        self._enforce(ctx)

    @method("regulator")
    def veto(self, ctx: Context, candidate: str, reason: str) -> None:
        """Exclude ``candidate`` from every lottery; if it sits, it is removed from its seat."""
        self._require_participant(ctx, candidate)
        self._exclude(ctx, candidate, "veto", reason)

    @method("regulator")
    def credit_event(self, ctx: Context, participant: str, description: str) -> None:
        """Record a credit event of ``participant``: excluded, evicted if it sits."""
        self._require_participant(ctx, participant)
        self._exclude(ctx, participant, "credit_event", description)

    @method("regulator")
    def reinstate(self, ctx: Context, participant: str) -> None:
        """Lift an exclusion (veto, fault or credit event); the participant may be drawn again.
        Equivocation evidence about heights up to this block is refused from now on."""
        ctx.require(is_excluded(ctx, participant), f"{participant!r} is not excluded")
        ctx.delete(f"excluded/{participant}")
        ctx.delete(f"missed/{participant}")
        ctx.put(f"reinstated/{participant}", ctx.height)
        ctx.emit("reinstated", participant=participant)
        self._enforce(ctx)

    # ------------------------------------------------------------------ committers

    @method(ANY)
    def commit_seed(self, ctx: Context, draw: int, digest: bytes) -> None:
        """Commit ``sha256(seed)`` for the open draw ``draw`` before it closes: the regulator
        or an authority listed in the draw's ``committers``, once each."""
        record = self._open_draw(ctx, draw)
        who = ctx.caller
        is_regulator = "regulator" in ctx.roles
        ctx.require(
            is_regulator or who in record["committers"],
            f"{who!r} is not a committer of draw {draw} (regulator role required, or a seat "
            "when the draw opened)",
        )
        ctx.require(len(digest) == 32, "the commitment is a 32-byte SHA-256 digest")
        ctx.require(
            ctx.height < record["close"],
            f"draw {draw} closed at block {record['close']}: too late to commit",
        )
        ctx.require(who not in record["digests"], f"{who!r} already committed to draw {draw}")
        record["state"] = _transition(record, "commit_seed")
        if is_regulator:
            record["regulator"] = who
        record["digests"][who] = digest
        ctx.put("draw", record)
        ctx.emit("seed_committed", draw=draw, committer=who, digest=digest, close=record["close"])

    @method(ANY)
    def reveal_seed(self, ctx: Context, draw: int, seed: bytes) -> None:
        """Reveal one's seed of draw ``draw`` after its closing block (the regulator first,
        see the module docstring); the lottery runs once every commitment is revealed."""
        record = self._open_draw(ctx, draw)
        who = ctx.caller
        timeout = param(ctx, "reveal_timeout")
        ctx.require(
            record["state"] == "revealing",
            f"draw {draw} closes at block {record['close']}: reveal after it",
        )
        ctx.require(who in record["digests"], f"{who!r} has no commitment in draw {draw}")
        ctx.require(who not in record["seeds"], f"{who!r} already revealed in draw {draw}")
        if who == record.get("regulator"):
            ctx.require(
                ctx.height <= record["close"] + timeout,
                f"the regulator's reveal window of draw {draw} ended at block "
                f"{record['close'] + timeout}",
            )
        else:
            ctx.require(
                regulator_window_over(record, ctx.height, timeout),
                f"draw {draw}: authorities reveal after the regulator (or after block "
                f"{record['close'] + timeout})",
            )
        ctx.require(len(seed) == SEED_BYTES, f"the seed has {SEED_BYTES} bytes")
        ctx.require(
            hashlib.sha256(seed).digest() == record["digests"][who],
            "seed does not match the commitment",
        )
        record["state"] = _transition(record, "reveal_seed")
        record["seeds"][who] = seed
        ctx.emit("seed_revealed", draw=draw, committer=who, seed=seed)
        if set(record["seeds"]) == set(record["digests"]):
            self._complete(ctx, record)
            self._enforce(ctx)
        else:
            ctx.put("draw", record)

    # ------------------------------------------------------------------ anyone

    @method(ANY)
    def report_equivocation(self, ctx: Context, evidence: bytes) -> None:
        """Submit two conflicting signed votes of one authority (canonical encoding of
        :class:`EquivocationEvidence`); the signer is convicted: it leaves its seat at the
        next activation height whatever the set size. Evidence about a height at or before
        the signer's last reinstatement is refused."""
        try:
            proof = codec.decode(evidence, EquivocationEvidence)
        except DecodeError as exc:
            raise ContractError(f"evidence is not an encoded EquivocationEvidence: {exc}") from exc
        problem = check_equivocation(proof)
        ctx.require(problem is None, f"not equivocation: {problem}")
        vote = proof.first.vote
        ctx.require(vote.chain_id == ctx.params.get("chain_id"), "evidence is about another chain")
        ctx.require(vote.height <= ctx.height, f"evidence is about future height {vote.height}")
        signer = next(
            (m["id"] for m in self._members_at(ctx, vote.height) if m["key"] == proof.first.signer),
            None,
        )
        ctx.require(signer is not None, f"the signer was not an authority at height {vote.height}")
        ctx.require(
            not is_convicted(ctx, signer), f"{signer!r} is already excluded for equivocation"
        )
        reinstated = ctx.get(f"reinstated/{signer}")
        ctx.require(
            reinstated is None or vote.height > reinstated,
            f"evidence about height {vote.height} predates {signer!r}'s reinstatement at block "
            f"{reinstated}",
        )
        ctx.emit("equivocation", authority=signer, height=vote.height, round=vote.round)
        self._mark_excluded(
            ctx, signer, "equivocation", f"height {vote.height} round {vote.round}", vote.height
        )
        self._enforce(ctx)

    @method(ANY)
    def report_conflicting_certificates(self, ctx: Context, evidence: bytes) -> None:
        """Submit two quorum-sealed headers at one height (canonical encoding of
        :class:`~glassledger.ledger.consensus.forks.ConflictingCertificates`): every current
        authority key that sealed both is convicted of equivocation, as by
        :meth:`report_equivocation` (keys already convicted, or reinstated after that height,
        are passed over)."""
        try:
            proof = codec.decode(evidence, ConflictingCertificates)
        except DecodeError as exc:
            raise ContractError(
                f"evidence is not an encoded ConflictingCertificates: {exc}"
            ) from exc
        signers, problem = double_signers(proof)
        ctx.require(problem is None, f"not conflicting certificates: {problem}")
        header = proof.first.header
        height = header.height
        ctx.require(
            header.chain_id == ctx.params.get("chain_id"), "evidence is about another chain"
        )
        members = {m["key"]: m["id"] for m in self._members_at(ctx, min(height, ctx.height))}
        convicted = []
        for key in signers:
            participant = members.get(key)
            if participant is None or is_convicted(ctx, participant):
                continue
            reinstated = ctx.get(f"reinstated/{participant}")
            if reinstated is not None and height <= reinstated:
                continue
            convicted.append(participant)
        ctx.require(bool(convicted), "no authority left to convict for these certificates")
        for participant in convicted:
            ctx.emit(
                "double_sign",
                authority=participant,
                height=height,
                first=header.hash,
                second=proof.second.header.hash,
            )
            self._mark_excluded(
                ctx,
                participant,
                "equivocation",
                f"sealed two blocks at height {height}",
                height,
            )
        self._enforce(ctx)

    # ------------------------------------------------------------------ hooks

    def begin_block(self, ctx: Context) -> None:
        """Count missed rounds of the parent, promote a pending set, run the draw clock."""
        evicted = self._count_missed_rounds(ctx)
        self._promote(ctx)
        unfinished = self._draw_clock(ctx)
        if evicted or unfinished:
            self._enforce(ctx)

    def end_block(self, ctx: Context) -> None:
        """Apply this block's identity changes to the seats: a suspended or deregistered
        authority leaves, a revoked seat key passes to the participant's first key; decided
        here, effective ``authority_change_delay`` blocks later like any set change."""
        sitting = latest_members(ctx)
        if _seats_after(ctx, sitting, []) != sitting:
            self._enforce(ctx)

    # ------------------------------------------------------------------ internals

    @staticmethod
    def _require_participant(ctx: Context, participant: str) -> None:
        ctx.require(
            ctx.read("identity", f"p/{participant}") is not None, f"no participant {participant!r}"
        )

    def _exclude(self, ctx: Context, participant: str, reason: str, detail: str) -> None:
        self._mark_excluded(ctx, participant, reason, detail)
        self._enforce(ctx)

    @staticmethod
    def _mark_excluded(
        ctx: Context, participant: str, reason: str, detail: str, proven_height: int = -1
    ) -> None:
        record = {
            "reason": reason,
            "detail": detail,
            "height": ctx.height,
            "proven_height": proven_height,
        }
        if not is_convicted(ctx, participant):  # a later veto never erases a conviction
            ctx.put(f"excluded/{participant}", record)
        ctx.emit("excluded", participant=participant, reason=reason, detail=detail)

    def _members_at(self, ctx: Context, height: int) -> list[Member]:
        history = ctx.get("history")
        if history is None:
            return authority_record(ctx)["current"]
        members: list[Member] = []
        for effective, entry in history:
            if effective <= height:
                members = entry
        return members

    def _schedule(self, ctx: Context, members: list[Member]) -> None:
        """Decide a new authority set, effective ``authority_change_delay`` blocks later."""
        record = authority_record(ctx)
        effective = ctx.height + param(ctx, "authority_change_delay")
        history = ctx.get("history") or [[0, record["current"]]]
        history = [entry for entry in history if entry[0] <= ctx.height] + [[effective, members]]
        record["pending"] = members
        record["effective_height"] = effective
        ctx.put("authorities", record)
        ctx.put("history", history)
        ctx.emit(
            "authorities_changed",
            authorities=[m["id"] for m in members],
            effective_height=effective,
        )

    def _promote(self, ctx: Context) -> None:
        record = authority_record(ctx)
        if record["pending"] is None or ctx.height < record["effective_height"]:
            return
        staying = {m["id"] for m in record["pending"]}
        for member in record["current"]:
            if member["id"] not in staying:
                ctx.delete(f"missed/{member['id']}")
        record["current"], record["pending"] = record["pending"], None
        ctx.put("authorities", record)
        ctx.emit("authorities_effective", authorities=sorted(staying), height=ctx.height)

    def _count_missed_rounds(self, ctx: Context) -> bool:
        """Charge the parent block's failed proposers and absent sealers; evict beyond the
        limit. Returns whether anyone was evicted. The genesis block (unsigned) is skipped."""
        commit = ctx.last_commit
        parent = ctx.height - 1
        if commit is None or parent < 1:
            return False
        members = authority_record(ctx)["current"]
        if not members:
            return False
        limit = param(ctx, "max_missed_rounds")
        misses: Counter[str] = Counter()
        for r in range(min(commit.round, len(members) * (limit + 1))):
            misses[members[(parent + r) % len(members)]["id"]] += 1
        sealed = {seal.signer for seal in commit.seals}
        for member in members:
            if member["key"] not in sealed:
                misses[member["id"]] += 1
        evicted = False
        for member in members:
            who = member["id"]
            before = ctx.get(f"missed/{who}", 0)
            after = before + misses[who] if misses[who] else 0
            if after != before:
                ctx.put(f"missed/{who}", after) if after else ctx.delete(f"missed/{who}")
            if after > limit and not is_excluded(ctx, who):
                self._mark_excluded(ctx, who, "missed_rounds", f"{after} missed rounds in a row")
                evicted = True
        return evicted

    def _draw_clock(self, ctx: Context) -> bool:
        """Open the periodic election on schedule; close draws at their closing block and
        complete them at their deadline. Returns whether a draw ended without a lottery."""
        period, window = param(ctx, "election_period"), param(ctx, "election_window")
        record = ctx.get("draw")
        if (ctx.height + window) % period == 0:
            if record is not None and record["state"] == "revealing":
                self._complete(ctx, record)  # never dropped once an outcome can be known
            elif record is not None:
                self._end_draw(ctx, record, "supersede")
            self._open(ctx, "election", ctx.height + window)
            return False
        if record is None:
            return False
        if record["state"] == "open" and ctx.height >= record["close"]:
            if not record["digests"]:
                self._end_draw(ctx, record, "close_empty")
                return True
            record["state"] = _transition(record, "close")
            ctx.put("draw", record)
            ctx.emit("draw_closed", draw=record["number"], committed=sorted(record["digests"]))
            return False
        if record["state"] == "revealing" and ctx.height > record["deadline"]:
            self._complete(ctx, record)
            return True
        return False

    def _complete(self, ctx: Context, record: dict[str, Any]) -> None:
        """Run the lottery of a revealing draw with the reveals it has; every committer that
        committed and did not reveal is charged a public fault."""
        _transition(record, "complete")
        ctx.delete("draw")
        number = record["number"]
        reveals = [(c, record["seeds"][c]) for c in reveal_order(record) if c in record["seeds"]]
        for committer in reveal_order(record):
            if committer in record["digests"] and committer not in record["seeds"]:
                faults = ctx.get(f"faults/{committer}", 0) + 1
                ctx.put(f"faults/{committer}", faults)
                ctx.emit("reveal_missed", draw=number, committer=committer, faults=faults)
        randomness = lottery_randomness(number, ctx.block_hash(record["close"]), reveals)
        ctx.emit(
            "draw_completed",
            draw=number,
            revealed=[c for c, _ in reveals],
            randomness=randomness,
        )
        if record["kind"] == "election":
            self._run_election(ctx, number, randomness)
        else:
            self._run_by_election(ctx, number, randomness)

    def _end_draw(self, ctx: Context, record: dict[str, Any], event: str) -> None:
        outcome = _transition(record, event)
        ctx.delete("draw")
        ctx.emit(outcome, draw=record["number"], kind=record["kind"], close=record["close"])

    def _open(self, ctx: Context, kind: str, close: int) -> None:
        number = ctx.get("draw_count", 0) + 1
        timeout = param(ctx, "reveal_timeout")
        committers = [
            m["id"]
            for m in latest_members(ctx)
            if not is_excluded(ctx, m["id"]) and in_good_standing(ctx, m["id"])
        ]
        record = {
            "number": number,
            "kind": kind,
            "state": "open",
            "close": close,
            "deadline": close + 2 * timeout,
            "committers": committers,
            "regulator": "",
            "digests": {},
            "seeds": {},
        }
        ctx.put("draw_count", number)
        ctx.put("draw", record)
        ctx.emit(
            "draw_opened",
            draw=number,
            kind=kind,
            close=close,
            deadline=record["deadline"],
            committers=committers,
        )

    def _open_draw(self, ctx: Context, number: int) -> dict[str, Any]:
        record = ctx.get("draw")
        ctx.require(record is not None and record["number"] == number, f"draw {number} is not open")
        return record

    def _member(self, ctx: Context, participant: str) -> Member:
        """A participant's seat: its id and first registered key (the key it signs with)."""
        record = ctx.read("identity", f"p/{participant}")
        return {"id": participant, "key": bytes.fromhex(record["keys"][0])}

    def _tokens(self, ctx: Context, exclude: set[str]) -> dict[str, int]:
        scores = {c: s for c, s in candidate_scores(ctx).items() if c not in exclude}
        weights = weights_of(scores, param(ctx, "min_credit_score"), param(ctx, "lottery_variant"))
        if sum(weights.values()) <= 0:
            return {}
        tokens = allocate_tokens(weights, param(ctx, "lottery_tokens"))
        return {c: t for c, t in tokens.items() if t > 0}

    def _target(self, ctx: Context) -> int:
        return min(param(ctx, "authority_count"), MAX_AUTHORITIES)

    def _run_election(self, ctx: Context, number: int, randomness: bytes) -> None:
        tokens = self._tokens(ctx, set())
        seats = min(self._target(ctx), len(tokens))
        if seats < min(MIN_AUTHORITIES, self._target(ctx)):
            ctx.emit("election_failed", draw=number, reason=f"{len(tokens)} eligible candidates")
            return
        elected = draw_authorities(tokens, seats, randomness)
        ctx.emit("elected", draw=number, authorities=elected)
        members = [self._member(ctx, c) for c in elected]
        if members != latest_members(ctx):
            self._schedule(ctx, members)

    def _run_by_election(self, ctx: Context, number: int, randomness: bytes) -> None:
        sitting = latest_members(ctx)
        remaining = [m for m in _seats_after(ctx, sitting, []) if not is_excluded(ctx, m["id"])]
        tokens = self._tokens(ctx, {m["id"] for m in sitting})
        seats = min(self._target(ctx) - len(remaining), len(tokens))
        if seats <= 0:
            ctx.emit("election_failed", draw=number, reason="no seat to fill or no candidate")
            return
        drawn = draw_authorities(tokens, seats, randomness)
        ctx.emit("elected", draw=number, authorities=drawn)
        self._schedule(ctx, _seats_after(ctx, sitting, [self._member(ctx, c) for c in drawn]))

    def _enforce(self, ctx: Context) -> None:
        """Remove excluded, convicted and suspended authorities from their seats (benign
        exclusions not below the minimum), move revoked seat keys, and open a by-election when
        a seat is free or held by an excluded authority."""
        sitting = latest_members(ctx)
        seats = _seats_after(ctx, sitting, [])
        if seats != sitting:
            self._schedule(ctx, seats)
        remaining = [m for m in seats if not is_excluded(ctx, m["id"])]
        if len(remaining) >= self._target(ctx) or ctx.has("draw"):
            return
        if self._tokens(ctx, {m["id"] for m in sitting}):
            self._open(ctx, "by-election", ctx.height + param(ctx, "election_window"))


def _current_key(ctx: Context, member: Member) -> Member:
    """``member`` with its seat key moved to the participant's first key if the seat key was
    revoked in ``identity`` (key rotation)."""
    record = ctx.read("identity", f"p/{member['id']}")
    if record is None or not record["keys"] or member["key"].hex() in record["keys"]:
        return member
    return {"id": member["id"], "key": bytes.fromhex(record["keys"][0])}


def _seats_after(ctx: Context, sitting: list[Member], drawn: list[Member]) -> list[Member]:
    """The set after removing excluded members of ``sitting`` and adding ``drawn``.

    Convicted (equivocation) and suspended or deregistered members always leave. Members
    excluded for a benign reason keep their seats (in order) as far as needed to stay at
    ``min(MIN_AUTHORITIES, len(sitting))`` members. Revoked seat keys pass to the member's
    first key."""
    leaving = [
        m for m in sitting if is_convicted(ctx, m["id"]) or not in_good_standing(ctx, m["id"])
    ]
    staying = [_current_key(ctx, m) for m in sitting if m not in leaving]
    remaining = [m for m in staying if not is_excluded(ctx, m["id"])]
    seats = remaining + drawn
    floor = min(MIN_AUTHORITIES, len(sitting))
    excluded = [m for m in staying if is_excluded(ctx, m["id"])]
    seats += excluded[: max(0, floor - len(seats))]
    return [m for m in staying if m in seats] + [m for m in drawn if m not in staying]
