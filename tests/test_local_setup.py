import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from papers.models import Paper

pytestmark = pytest.mark.django_db


def test_it_ingests_a_sample_and_prints_working_admin_credentials(
    settings, tmp_path, capsys, client
):
    settings.VAR_DIR = tmp_path

    call_command("local_setup")
    first = capsys.readouterr().out
    call_command("local_setup")
    second = capsys.readouterr().out

    assert Paper.objects.count() == 40
    assert "Sample: 40 new" in first and "40 unchanged" in second
    password = first.split("password: ")[1].split()[0]
    assert f"password: {password}" in second  # a second run keeps the account as it was
    login = client.post("/admin/login/?next=/admin/", {"username": "admin", "password": password})
    assert login.status_code == 302 and login["Location"] == "/admin/"  # through the form
    assert get_user_model().objects.get(username="admin").is_superuser
    sample = (tmp_path / "sample" / "daily-papers-sample.txt").read_text()
    assert sample.startswith("new\n") and "byAK and the research community" in sample
