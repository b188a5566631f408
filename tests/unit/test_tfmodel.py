"""tfmodel reads each function's env and secrets the way Terraform builds them, or refuses."""

from pathlib import Path

import pytest

from emulators import tfmodel

FUNCTIONS_TF = """
variable "origin" {
  default = "https://app.example"
}

locals {
  common_env   = { PROJECT = "p" }
  mail_env     = { APP_URL = var.origin, SMTP_PORT = "587" }
  mail_secrets = { SMTP_PASSWORD = "smtp-password" }

  functions = {
    notify = {
      entry_point = "notify", memory = "256M", timeout = 60, max_instances = 1, public = false
      cpu         = null, concurrency = 1
      env         = local.mail_env
      secrets     = local.mail_secrets
      publishes   = [], firestore = true, bigquery = "none"
    }
    api = {
      entry_point = "api", memory = "256M", timeout = 60, max_instances = 1, public = true
      cpu = null, concurrency = 1
      env = merge(local.mail_env, {
        SMTP_PORT    = "2525"
        AUTH_JWKS    = "${var.origin}/jwks"
      })
      secrets   = merge(local.mail_secrets, { KEY = "signing-key" })
      publishes = [], firestore = true, bigquery = "read"
    }
  }
}
"""


def _model(tmp_path: Path, text: str) -> tfmodel.TerraformModel:
    (tmp_path / "functions.tf").write_text(text)
    return tfmodel.load(tmp_path)


def test_env_and_secrets_from_a_local_or_a_merge_resolve_as_terraform_builds_them(tmp_path: Path) -> None:
    functions = _model(tmp_path, FUNCTIONS_TF).functions

    assert functions["notify"].env == {"PROJECT": "p", "APP_URL": "https://app.example", "SMTP_PORT": "587"}
    assert functions["notify"].secrets == {"SMTP_PASSWORD": "smtp-password"}
    assert functions["api"].env == {
        "PROJECT": "p",
        "APP_URL": "https://app.example",
        "SMTP_PORT": "2525",  # merge(): the later map wins
        "AUTH_JWKS": "${var.origin}/jwks",
    }
    assert functions["api"].secrets == {"SMTP_PASSWORD": "smtp-password", "KEY": "signing-key"}


def test_an_env_expression_tfmodel_cannot_read_fails_instead_of_dropping_variables(tmp_path: Path) -> None:
    model = _model(tmp_path, FUNCTIONS_TF.replace("env         = local.mail_env", "env = var.mail_env"))

    with pytest.raises(ValueError, match="cannot read"):
        model.functions  # noqa: B018 - the property does the reading


@pytest.mark.parametrize(
    ("file", "written", "read"),
    [
        ("pubsub.tf", "ack_deadline_seconds    = each.value.ack_deadline_seconds", "subscriptions"),
        ("pubsub.tf", "enable_message_ordering = each.value.message_ordering", "subscriptions"),
        ("functions.tf", "timeout_seconds                  = each.value.timeout", "functions"),
        ("functions.tf", "available_memory                 = each.value.memory", "functions"),
    ],
)
def test_a_value_written_into_a_resource_instead_of_its_local_is_refused(
    tmp_path: Path, file: str, written: str, read: str
) -> None:
    """The model reads these from the locals: a literal in the resource would deploy a value
    no agreement test read (an ack deadline shorter than its function's timeout, ordering off)."""
    for source in tfmodel.TERRAFORM_DIR.glob("*.tf"):
        (tmp_path / source.name).write_text(source.read_text())
    text = (tmp_path / file).read_text()
    assert written in text, "the resource no longer reads this from its local: update the test"
    (tmp_path / file).write_text(text.replace(written, written.split("=", maxsplit=1)[0] + "= 30"))
    assert getattr(tfmodel.load(), read)  # the real directory reads
    with pytest.raises(ValueError, match=r"must be each\.value"):
        getattr(tfmodel.load(tmp_path), read)
