"""The accounts part of merging two members: the checks, the member locks, and what moves
between member rows (referrals, consents, contact data left blank, the portal sign-in, cards).

The whole merge is `campaigns.services.member_merge`, the lowest app that sees every table a
member owns; it calls these in the documented lock order (docs/architecture.md, "Merging two
members").
"""

from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.translation import gettext as _

from core import webhooks
from core.errors import Conflict, InvalidInput

from ..models import CONSENT_FIELDS, CardAlias, ConsentChange, Erasure, Member


def member_merge_check(*, duplicate: Member, survivor: Member) -> None:
    """Refuses a merge that cannot be done: the same member twice, a member merged already, an
    erased member (nobody is behind the card any more), or a blocked survivor (unblock it
    first: the points would move somewhere nobody can spend them). A blocked duplicate may be
    merged: blocking the second card is often the first thing support does."""
    if duplicate.pk == survivor.pk:
        raise InvalidInput(
            _("These are the same member; choose the card of another member."),
            code="same_member",
            field="survivor",
        )
    for member, field in ((duplicate, "duplicate"), (survivor, "survivor")):
        if member.status == Member.Status.MERGED or member.merged_into_id:
            raise Conflict(
                _("Member %(card)s has already been merged into another member.")
                % {"card": member.card_number},
                code="already_merged",
                field=field,
            )
        if Erasure.objects.filter(member_id=member.pk).exists():
            raise Conflict(
                _("Member %(card)s has been erased and cannot be merged.")
                % {"card": member.card_number},
                code="member_erased",
                field=field,
            )
    if survivor.status == Member.Status.BLOCKED:
        raise Conflict(
            _("Member %(card)s is blocked; unblock it first to merge into it.")
            % {"card": survivor.card_number},
            code="member_blocked",
            field="survivor",
        )


def members_lock_for_merge(*, duplicate: Member, survivor: Member) -> tuple[Member, Member]:
    """Locks both members in pk order (the lock order's first step) and checks them again
    under the lock, so two merges of one pair, or a merge and a block, queue. Call inside a
    transaction.

    `FOR NO KEY UPDATE`, like the point accounts: a purchase holds the member's point account
    and then references the member (its foreign key takes a `KEY SHARE` lock), which a full
    `FOR UPDATE` would block, while the merge waits for that point account: a deadlock. The
    merge writes the members' unique columns (which needs the full lock) last, after every
    other lock (`members_merge_rows`)."""
    locked = {
        member.pk: member
        for member in Member.objects.select_for_update(no_key=True)
        .filter(pk__in=[duplicate.pk, survivor.pk])
        .order_by("pk")
    }
    duplicate, survivor = locked[duplicate.pk], locked[survivor.pk]
    member_merge_check(duplicate=duplicate, survivor=survivor)
    return duplicate, survivor


def _latest_decisions(member: Member) -> dict[str, tuple]:
    """Per channel: (when, granted) of the member's last recorded decision, else the consent
    field's time (consent given before the proof was kept)."""
    decisions: dict[str, tuple] = {}
    for change in ConsentChange.objects.filter(member=member).order_by("changed_at", "pk"):
        decisions[change.channel] = (change.changed_at, change.is_granted)
    for channel, field in CONSENT_FIELDS.items():
        given_at = getattr(member, field)
        if channel not in decisions and given_at:
            decisions[channel] = (given_at, True)
    return decisions


def _consents_merge(*, duplicate: Member, survivor: Member, actor: User) -> list[str]:
    """The survivor keeps the most recent decision per channel of the two; a decision taken
    from the duplicate is recorded as a consent change with source "merge". The duplicate is
    never messaged again, so its consents are withdrawn (and recorded). Returns the survivor's
    changed channels."""
    theirs, ours = _latest_decisions(duplicate), _latest_decisions(survivor)
    changes, changed, fields = [], [], []
    detail = _("From merged card %(card)s") % {"card": duplicate.card_number}
    for channel, field in CONSENT_FIELDS.items():
        if channel not in theirs:
            continue
        their_time, their_grant = theirs[channel]
        if channel in ours and ours[channel][0] >= their_time:
            continue
        if bool(getattr(survivor, field)) == their_grant:
            continue
        if their_grant and channel != "email" and not survivor.phone:
            continue  # SMS and WhatsApp need a number (the duplicate's moves first, if any)
        setattr(survivor, field, getattr(duplicate, field) if their_grant else None)
        fields.append(field)
        changed.append(channel)
        changes.append(
            ConsentChange(
                member=survivor,
                channel=channel,
                is_granted=their_grant,
                source=ConsentChange.Source.MERGE,
                changed_by=actor,
                detail=detail[:200],
            )
        )
    for channel, field in CONSENT_FIELDS.items():
        if getattr(duplicate, field):
            setattr(duplicate, field, None)
            changes.append(
                ConsentChange(
                    member=duplicate,
                    channel=channel,
                    is_granted=False,
                    source=ConsentChange.Source.MERGE,
                    changed_by=actor,
                )
            )
    ConsentChange.objects.bulk_create(changes)
    if fields:
        survivor.save(update_fields=[*fields, "updated_at"])
    for channel in changed:
        webhooks.emit(
            "consent.changed",
            {
                "channel": channel,
                "granted": bool(getattr(survivor, CONSENT_FIELDS[channel])),
                "source": ConsentChange.Source.MERGE.value,
            },
            member_id=survivor.pk,
        )
    return changed


CONTACT_FIELDS = ("email", "phone", "first_name", "last_name", "birth_date")


def members_merge_rows(*, duplicate: Member, survivor: Member, actor: User) -> dict:
    """Moves what lives on member rows from the (locked) duplicate to the (locked) survivor and
    closes the duplicate: status merged, `merged_into` the survivor, its card number (and any
    card that found it) a `CardAlias` of the survivor.

    - Contact data the survivor lacks is taken from the duplicate; the duplicate's e-mail and
      phone are released (they are unique, and the same person's).
    - Members the duplicate brought in count as brought in by the survivor; the duplicate's own
      referrer becomes the survivor's when it has none (never the survivor itself).
    - Consents: see `_consents_merge`. The portal sign-in moves when the survivor has none.

    Returns counts for the audit row."""
    filled = []
    for field in CONTACT_FIELDS:
        if not getattr(survivor, field) and getattr(duplicate, field):
            filled.append(field)
    released = {field: getattr(duplicate, field) for field in ("email", "phone")}
    if any(released.values()):
        # Released first: the unique indexes hold at every statement.
        Member.objects.filter(pk=duplicate.pk).update(email=None, phone=None)
    for field in filled:
        value = released[field] if field in released else getattr(duplicate, field)
        setattr(survivor, field, value)
    duplicate.email = duplicate.phone = None

    referrals = (
        Member.objects.filter(referred_by=duplicate)
        .exclude(pk=survivor.pk)
        .update(referred_by=survivor, updated_at=timezone.now())
    )
    if survivor.referred_by_id == duplicate.pk:
        survivor.referred_by = None
    if (
        survivor.referred_by_id is None
        and duplicate.referred_by_id
        and duplicate.referred_by_id != survivor.pk
    ):
        survivor.referred_by_id = duplicate.referred_by_id
    user_moved = False
    if survivor.user_id is None and duplicate.user_id is not None:
        survivor.user_id, duplicate.user_id = duplicate.user_id, None
        Member.objects.filter(pk=duplicate.pk).update(user=None)
        user_moved = True
    survivor.save(update_fields=[*filled, "referred_by", "user", "updated_at"])

    consents = _consents_merge(duplicate=duplicate, survivor=survivor, actor=actor)

    aliases = CardAlias.objects.filter(member=duplicate).update(member=survivor)
    CardAlias.objects.create(
        number=duplicate.card_number, member=survivor, reason=CardAlias.Reason.MERGED
    )
    # Members merged into the duplicate earlier now point at where their cards lead.
    Member.objects.filter(merged_into=duplicate).update(merged_into=survivor)
    duplicate.status = Member.Status.MERGED
    duplicate.merged_into = survivor
    duplicate.save(
        update_fields=[
            "status",
            "merged_into",
            "email",
            "phone",
            "user",
            *CONSENT_FIELDS.values(),
            "updated_at",
        ]
    )
    return {
        "contact_filled": filled,
        "referrals": referrals,
        "consents": consents,
        "card_aliases": aliases + 1,
        "portal_user_moved": user_moved,
    }
