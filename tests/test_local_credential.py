"""On the local backend the lab's credential reaches the local identity endpoint, whatever the
learner's environment holds (issue 14: a developer's service principal in AZURE_CLIENT_*)."""

from __future__ import annotations

import os
import subprocess
import sys

SCRIPT = """
import labsupport
from azure.identity import DefaultAzureCredential
from azure.storage.queue import QueueClient

lab = labsupport.connect("credential-choice")
again = labsupport.connect("credential-choice")          # says it once, not twice
queue = QueueClient(lab.account_url, lab.queue_name, credential=lab.credential)
queue.create_queue()
queue.send_message("signed in with the local managed identity")
mine = QueueClient(lab.account_url, lab.queue_name, credential=DefaultAzureCredential())
print("a learner's own DefaultAzureCredential:", mine.peek_messages()[0].content)
queue.delete_queue()
"""


def run(lab_config, **environment) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AZURE_", "IDENTITY_", "MSI_"))}
    env.update(LAB_STATE_DIR=str(lab_config.state_dir), LAB_PROGRESS="0", **environment)
    return subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                          text=True, timeout=180)


def test_a_service_principal_in_the_environment_is_not_used_locally(lab_config, cloud):
    done = run(lab_config, AZURE_CLIENT_ID="11111111-1111-4111-8111-111111111111",
               AZURE_CLIENT_SECRET="not-a-real-secret",
               AZURE_TENANT_ID="22222222-2222-4222-8222-222222222222")
    assert done.returncode == 0, done.stderr[-2000:]
    notes = [line for line in done.stdout.splitlines() if line.startswith("Local backend:")]
    assert notes == ["Local backend: DefaultAzureCredential signs in with the local cloud's "
                     "managed identity (AZURE_TOKEN_CREDENTIALS=ManagedIdentityCredential); "
                     "AZURE_CLIENT_SECRET from your environment is not used here."]
    assert "not-a-real-secret" not in done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == (
        "a learner's own DefaultAzureCredential: signed in with the local managed identity")


def test_a_clean_environment_gets_no_note(lab_config, cloud):
    done = run(lab_config)
    assert done.returncode == 0, done.stderr[-2000:]
    assert not [line for line in done.stdout.splitlines() if line.startswith("Local backend:")]
