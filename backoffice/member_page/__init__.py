"""The member page in admin (the 360° view): what every app knows about a member, and the staff
actions on a member. Each action needs its permission and a reason, and is audited by the
service it calls. Every section shows the latest rows only, with a link to all of them, so a
member with years of history opens as fast as a new one; each section is one or two queries.

- `actions.py`: the registry of staff actions (form, permission, service);
- `sections.py`: the summary and the history sections, each rendered from selectors;
- `admin.py`: the `MemberAdmin` that puts them on the change page.
"""
