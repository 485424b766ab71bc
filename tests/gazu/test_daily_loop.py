"""The daily loop of a studio through gazu: tasks, comments, time, people and the user's own area."""
import os
import tempfile

import gazu

ARTIST_PASSWORD = "artist-password-1"


def _production(suffix):
    project = gazu.project.new_project(f"Gazu Daily {suffix}")
    character = gazu.asset.get_asset_type_by_name("Character")
    hero = gazu.asset.new_asset(project, character, "Hero", "The hero")
    modeling = gazu.task.get_task_type_by_name("Modeling")
    task = gazu.task.new_task(hero, modeling)
    artist = gazu.person.new_person(
        "Ada", "Artist", f"ada-{suffix}@example.com", password=ARTIST_PASSWORD
    )
    gazu.project.add_person_to_team(project, artist)
    return project, hero, task, artist


def _as(email, password, action):
    """Runs `action` logged in as someone else, then logs the admin back in."""
    gazu.log_out()
    gazu.log_in(email, password)
    try:
        return action()
    finally:
        gazu.log_out()
        gazu.log_in(os.environ["TUSK_ADMIN_EMAIL"], os.environ["TUSK_ADMIN_PASSWORD"])


def test_assign_comment_and_log_time(admin):
    _, _, task, artist = _production("loop")
    gazu.task.assign_task(task, artist)
    assert gazu.task.get_task(task)["assignees"] == [artist["id"]]
    assert [t["id"] for t in gazu.task.all_tasks_for_person(artist)] == [task["id"]]

    wip = gazu.task.get_task_status_by_short_name("wip")
    comment = gazu.task.add_comment(task, wip, "Starting on it", checklist=[{"text": "topology", "checked": False}])
    assert (comment["task_status"]["short_name"], comment["checklist"][0]["text"]) == ("wip", "topology")
    full = gazu.task.get_task(task)
    assert full["task_status_id"] == wip["id"] and full["real_start_date"] is not None

    with tempfile.NamedTemporaryFile(suffix=".txt") as sheet:
        sheet.write(b"reference notes")
        sheet.flush()
        wfa = gazu.task.get_task_status_by_short_name("wfa")
        with_file = gazu.task.add_comment(task, wfa, "Have a look", attachments=[sheet.name])
    assert with_file["attachment_files"][0]["size"] == len(b"reference notes")
    assert gazu.task.get_task(task)["end_date"] is not None

    gazu.task.set_time_spent(task, artist, "2026-11-02", 120)
    gazu.task.add_time_spent(task, artist, "2026-11-02", 60)
    day = gazu.task.get_time_spent(task, "2026-11-02")
    assert [t["duration"] for t in day[artist["id"]]] == [180]
    assert day["total"] == 180

    gazu.task.clear_assignations(task)
    assert gazu.task.get_task(task)["assignees"] == []


def test_the_artist_sees_their_own_area(admin):
    project, _, task, artist = _production("artist")
    gazu.task.assign_task(task, artist)
    retake = gazu.task.get_task_status_by_short_name("retake")
    gazu.task.add_comment(task, retake, "Please redo the hands")
    gazu.task.set_time_spent(task, artist, "2026-11-03", 90)

    def artist_view():
        todo = gazu.user.all_tasks_to_do()
        context = gazu.user.get_context()
        projects = gazu.user.all_open_projects()
        notifications = gazu.user.all_notifications()
        time_spents = gazu.user.get_timespents_range("2026-11-01", "2026-11-30")
        types = gazu.user.all_asset_types_for_project(project)
        assets = gazu.user.all_assets_for_asset_type_and_project(project, types[0])
        mine = gazu.user.all_tasks_for_asset(assets[0])
        gazu.user.join_chat(assets[0])
        chats = gazu.user.all_chats()
        gazu.user.leave_chat(assets[0])
        assigned = ([t["name"] for t in types], [a["name"] for a in assets], [t["id"] for t in mine])
        return todo, context, projects, notifications, time_spents, assigned, chats

    todo, context, projects, notifications, time_spents, assigned, chats = _as(
        artist["email"], ARTIST_PASSWORD, artist_view
    )
    assert assigned == (["Character"], ["Hero"], [task["id"]])
    assert [c["entity_name"] for c in chats] == ["Character / Hero"]
    assert [(t["id"], t["task_status_short_name"]) for t in todo] == [(task["id"], "retake")]
    assert [p["id"] for p in projects] == [project["id"]]
    assert project["id"] in [p["id"] for p in context["projects"]]
    kinds = sorted((n["task_id"], n["notification_type"], n["change"]) for n in notifications)
    assert kinds == [(task["id"], "assignation", False), (task["id"], "comment", True)]
    assert [(t["task_id"], t["duration"]) for t in time_spents] == [(task["id"], 90)]


def test_people(admin):
    _, _, task, artist = _production("people")
    assert gazu.person.get_person_by_email(artist["email"])["id"] == artist["id"]
    assert artist["id"] in [p["id"] for p in gazu.person.all_persons()]
    day_off = gazu.person.new_day_off(artist, "2026-12-24", "2026-12-26", "holiday")
    assert gazu.person.get_day_off(day_off["id"])["end_date"] == "2026-12-26"
    assert [d["id"] for d in gazu.person.get_month_day_offs(artist, 2026, 12)] == [day_off["id"]]
    assert [d["id"] for d in gazu.person.get_year_day_offs(artist, 2026)] == [day_off["id"]]
    assert gazu.person.get_month_day_offs(artist, 2026, 11) == []

    gazu.task.assign_task(task, artist)
    gazu.task.set_time_spent(task, artist, "2026-11-04", 120)
    by_day = gazu.person.get_time_spents_by_date(artist, "2026-11-04")
    assert [(t["task_id"], t["duration"]) for t in by_day] == [(task["id"], 120)]
    in_range = gazu.person.get_time_spents_range(artist["id"], "2026-11-01", "2026-11-30")
    assert [t["duration"] for t in in_range] == [120]
    assert [t["duration"] for t in gazu.person.get_year_time_spents(artist, 2026)] == [120]

    effects = gazu.person.new_department("Daily FX")
    gazu.person.add_person_to_department(artist, effects)
    assert gazu.client.fetch_one("persons", artist["id"])["departments"] == [effects["id"]]
    gazu.person.remove_person_from_department(artist, effects)
    assert gazu.client.fetch_one("persons", artist["id"])["departments"] == []

    assert gazu.person.change_password_for_person(artist, "a-new-password-2")["success"] is True
    gazu.log_out()
    gazu.log_in(artist["email"], "a-new-password-2")
    gazu.log_out()
    gazu.log_in(os.environ["TUSK_ADMIN_EMAIL"], os.environ["TUSK_ADMIN_PASSWORD"])


def test_comment_threads(admin):
    project, hero, task, artist = _production("threads")
    gazu.task.assign_task(task, artist)
    wip = gazu.task.get_task_status_by_short_name("wip")
    first = gazu.task.add_comment(task, wip, "First pass")
    second = gazu.task.add_comment(task, wip, "Second pass")
    assert [c["id"] for c in gazu.task.all_comments_for_task(task)] == [second["id"], first["id"]]
    assert gazu.task.get_last_comment_for_task(task)["id"] == second["id"]

    acked = gazu.task.acknowledge_comment(task, second)
    assert acked["acknowledgements"] != []
    reply = gazu.task.reply_to_comment(task, second, "Noted")
    thread = gazu.task.all_comments_for_task(task)[0]
    assert [r["text"] for r in thread["replies"]] == ["Noted"]
    gazu.task.delete_comment_reply(task, second, reply)
    assert gazu.task.all_comments_for_task(task)[0]["replies"] == []

    with tempfile.NamedTemporaryFile(suffix=".txt") as sheet:
        sheet.write(b"more notes")
        sheet.flush()
        attached = gazu.task.add_attachment_files_to_comment(task, second, [sheet.name])
    attachment = attached[0] if isinstance(attached, list) else attached["attachment_files"][0]
    gazu.task.delete_comment_attachment(task, second, attachment)
    assert gazu.task.all_comments_for_task(task)[0]["attachment_files"] == []

    rigging = gazu.task.new_task(hero, gazu.task.get_task_type_by_name("Rigging"))
    gazu.task.move_comment_to_task(task, first, rigging)
    assert [c["id"] for c in gazu.task.all_comments_for_task(rigging)] == [first["id"]]
    assert {c["id"] for c in gazu.task.all_comments_for_project(project)} == {first["id"], second["id"]}

    done = gazu.task.get_task_status_by_short_name("done")
    many = gazu.task.create_multiple_comments(
        project,
        [{"task_id": task["id"], "task_status_id": done["id"], "comment": "All good"}],
    )
    assert [c["text"] for c in many] == ["All good"]
    assert gazu.task.get_task(task)["task_status_id"] == done["id"]


def test_comment_previews_and_invitations(admin):
    _, _, task, artist = _production("previews")
    wfa = gazu.task.get_task_status_by_short_name("wfa")
    comment = gazu.task.add_comment(task, wfa, "Take one")
    first = gazu.task.create_preview(task, comment)
    extra = gazu.task.create_extra_preview(task, comment, first)
    assert (first["revision"], first["position"]) == (1, 1)
    assert (extra["revision"], extra["position"]) == (1, 2)
    assert extra["comments"] == [comment["id"]]
    gazu.task.remove_preview_from_comment(task, comment, extra)
    previews = gazu.files.get_all_preview_files_for_task(task)
    assert [p["id"] for p in previews] == [first["id"]]

    assert gazu.person.invite_person(artist) == {"success": True, "message": "Email sent"}
