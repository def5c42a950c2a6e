#!/usr/bin/python3
# The Kernel seed's own Python `requests` examples (shared/seeds/kernel-api.txt), with only the base
# URL changed from https://api.kernel.com to the server under test: list the datasets of a study, run
# a pipeline on each, poll its status until SUCCEEDED, and download every signed URL. Prints a JSON
# summary on stdout for the test to check. Debian's python3-requests.
# usage: seed_client.py BASE_URL STUDY_ID PIPELINE [API_KEY]
import json, sys, time
import requests

base, study_id, pipeline = sys.argv[1], sys.argv[2], sys.argv[3]
api_key = sys.argv[4] if len(sys.argv) > 4 else ''
headers = {"Authorization": f"{api_key}"}

response = requests.get(f"{base}/api/v1/study/{study_id}", headers=headers)
assert response.status_code == 200, response.text
datasets = response.json()["datasets"]
dataset_ids = [dataset["id"] for dataset in datasets]

summary = {"datasets": dataset_ids, "runs": {}}
for dataset_id in dataset_ids:
    response = requests.post(f"{base}/api/vi/study/{study_id}/dataset/{dataset_id}/pipeline/{pipeline}", headers=headers)
    assert response.status_code == 200, response.text
    job_id = response.json()["job_id"]
    deadline = time.time() + 120
    while True:
        response = requests.get(f"{base}/api/v1/study/{study_id}/dataset/{dataset_id}/pipeline/{pipeline}/status", headers=headers)
        assert response.status_code == 200, response.text
        status = response.json()
        if status["status"] in ("SUCCEEDED", "FAILED") or time.time() > deadline:
            break
        time.sleep(0.2)
    files = {}
    if status["status"] == "SUCCEEDED":
        for filename, url in status["signed_urls"]["urls"].items():
            r = requests.get(url)
            assert r.status_code == 200, (filename, r.status_code, r.text)
            files[filename] = {"bytes": len(r.content), "content_type": r.headers["Content-Type"], "size_mb": status["signed_urls"]["sizes"][filename]}
    summary["runs"][dataset_id] = {"job_id": job_id, "status": status["status"], "reason": status.get("reason"), "files": files}
print(json.dumps(summary))
