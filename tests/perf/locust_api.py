"""Load for the school API benchmark (tests/perf/test_api.py runs locust with this file): each
simulated client reads pages of the year's grades, 500 at a time, as a ministry system does.
The pages' URLs, the key and the school's host come in the environment."""

import json
import os
import random

from locust import FastHttpUser, constant, task

PAGES = json.loads(os.environ["CATEDRA_BENCH_PAGES"])
HEADERS = {"Authorization": f"Bearer {os.environ['CATEDRA_BENCH_KEY']}", "Host": os.environ["CATEDRA_BENCH_HOST"]}


class MinistrySystem(FastHttpUser):
    wait_time = constant(0)

    @task
    def grade_page(self):
        self.client.get(random.choice(PAGES), headers=HEADERS, name="grades page")  # noqa: S311 - load, not secrets
