"""Production setup through gazu: projects, their team and settings, and the
breakdown views."""
import gazu


def test_project_setup(admin):
    project = gazu.project.new_project("Gazu Film", production_type="featurefilm")
    assert project["name"] == "Gazu Film"
    assert gazu.project.get_project_by_name("Gazu Film")["id"] == project["id"]
    assert "Gazu Film" in [p["name"] for p in gazu.project.all_open_projects()]

    person = gazu.person.new_person("Team", "Member", "team.member@example.com")
    gazu.project.add_person_to_team(project, person)
    assert [p["id"] for p in gazu.project.get_team(project)] == [person["id"]]

    layout = gazu.task.get_task_type_by_name("Layout")
    gazu.project.add_task_type(project, layout, 1)
    assert [t["name"] for t in gazu.task.all_task_types_for_project(project)] == ["Layout"]
    wip = gazu.task.get_task_status_by_short_name("wip")
    gazu.project.add_task_status(project, wip)
    assert [s["short_name"] for s in gazu.project.get_project_task_statuses(project)] == ["wip"]
    character = gazu.asset.get_asset_type_by_name("Character")
    gazu.project.add_asset_type(project, character)
    assert gazu.project.get_project(project["id"])["asset_types"] == [character["id"]]

    gazu.project.remove_person_from_team(project, person)
    assert gazu.project.get_team(project) == []
    gazu.project.update_project({"id": project["id"], "fps": "24"})
    assert gazu.project.get_project(project["id"])["fps"] == "24"


def test_breakdown_views(admin):
    project = gazu.project.new_project("Gazu Show")
    sequence_type = gazu.client.fetch_first("entity-types", {"name": "Sequence"})
    shot_type = gazu.client.fetch_first("entity-types", {"name": "Shot"})
    sequence = gazu.client.create(
        "entities", {"name": "SQ01", "project_id": project["id"], "entity_type_id": sequence_type["id"]}
    )
    shot = gazu.client.create(
        "entities",
        {"name": "SH010", "project_id": project["id"], "entity_type_id": shot_type["id"], "parent_id": sequence["id"]},
    )
    animation = gazu.task.get_task_type_by_name("Animation")
    gazu.client.create("tasks", {"task_type_id": animation["id"], "entity_id": shot["id"]})
    shots = gazu.client.fetch_all("shots/with-tasks", {"project_id": project["id"]})
    assert [s["name"] for s in shots] == ["SH010"]
    assert shots[0]["sequence_name"] == "SQ01"
    assert [t["task_type_id"] for t in shots[0]["tasks"]] == [animation["id"]]
    assert gazu.shot.get_shot(shot["id"])["name"] == "SH010"
