"""The studio-level functions of gazu against Tusk: people, departments,
task types and statuses, asset types, softwares, output types, custom actions."""
import gazu
import pytest


def test_persons(admin):
    person = gazu.person.new_person("Ada", "Lane", "ada.gazu@example.com", role="supervisor")
    assert person["full_name"] == "Ada Lane"
    assert gazu.person.get_person_by_email("ada.gazu@example.com")["id"] == person["id"]
    assert gazu.person.get_person_by_full_name("Ada Lane")["id"] == person["id"]
    assert any(p["id"] == person["id"] for p in gazu.person.all_persons())
    updated = gazu.person.update_person({"id": person["id"], "phone": "+33 1 23"})
    assert updated["phone"] == "+33 1 23"
    assert gazu.person.new_person("Bob", "Lane", "ada.gazu@example.com")["id"] == person["id"]
    with pytest.raises(gazu.exception.ParameterException):
        gazu.client.create("persons", {"first_name": "Bob", "last_name": "L", "email": "ADA.gazu@example.com"})
    gazu.person.remove_person(person)
    assert gazu.person.get_person_by_email("ada.gazu@example.com") is None


def test_departments(admin):
    department = gazu.person.new_department("Lighting", "#FFAA00")
    assert gazu.person.get_department_by_name("Lighting")["id"] == department["id"]
    assert "Lighting" in [d["name"] for d in gazu.person.all_departments()]
    updated = gazu.person.update_department({"id": department["id"], "color": "#000000"})
    assert updated["color"] == "#000000"
    gazu.person.remove_department(department)
    assert gazu.person.get_department_by_name("Lighting") is None


def test_task_types_and_statuses(admin):
    task_type = gazu.task.new_task_type("Grooming")
    assert task_type["for_entity"] == "Asset"
    assert gazu.task.get_task_type_by_name("Grooming")["id"] == task_type["id"]
    assert "Grooming" in [t["name"] for t in gazu.task.all_task_types()]
    gazu.task.update_task_type({"id": task_type["id"], "color": "#123456"})
    assert gazu.task.get_task_type(task_type["id"])["color"] == "#123456"
    gazu.task.remove_task_type(task_type)

    status = gazu.task.new_task_status("Waiting", "wait", "#FF0000")
    assert gazu.task.get_task_status_by_short_name("wait")["id"] == status["id"]
    assert gazu.task.get_default_task_status()["short_name"] == "todo"
    gazu.task.remove_task_status(status)
    assert gazu.task.get_task_status_by_short_name("wait") is None


def test_asset_types(admin):
    vehicle = gazu.asset.new_asset_type("Vehicle")
    assert vehicle["name"] == "Vehicle"
    assert gazu.asset.new_asset_type("Vehicle")["id"] == vehicle["id"], "found, not made twice"
    names = [t["name"] for t in gazu.asset.all_asset_types()]
    assert "Vehicle" in names and "Character" in names and "Shot" not in names
    assert gazu.asset.get_asset_type(vehicle["id"])["type"] == "AssetType"
    gazu.asset.update_asset_type({"id": vehicle["id"], "name": "Vehicles"})
    assert gazu.asset.get_asset_type_by_name("Vehicles")["id"] == vehicle["id"]
    gazu.asset.remove_asset_type(vehicle)


def test_softwares_and_output_types(admin):
    software = gazu.files.new_software("Blender", "bl", "blend")
    assert gazu.files.get_software_by_name("Blender")["id"] == software["id"]
    assert "Blender" in [s["name"] for s in gazu.files.all_softwares()]
    output_type = gazu.files.new_output_type("Cache", "cch")
    assert gazu.files.get_output_type_by_name("Cache")["id"] == output_type["id"]
    assert gazu.files.get_output_type(output_type["id"])["short_name"] == "cch"


def test_custom_actions(admin):
    action = gazu.client.create("custom-actions", {"name": "Publish", "url": "http://farm/publish"})
    assert action["entity_type"] == "all"
    assert [a["name"] for a in gazu.client.fetch_all("custom-actions")] == ["Publish"]
