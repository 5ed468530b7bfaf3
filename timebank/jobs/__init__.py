"""Background jobs: notification emails, imports and report rebuilds.

With ``REDIS_URL`` set they go to an RQ queue on Redis and a worker runs them (``make
worker``; ``flask --app timebank.app timebank worker``); any app server or worker can
see how a job stands. Without Redis (development, ``make run``) the same job functions
run in the web process: an email at once, an import in a thread.

- ``timebank.jobs.queue``: ``enqueue`` and how a job stands (``is_running``);
- ``timebank.jobs.tasks``: the job functions themselves (what the worker imports);
- ``timebank.jobs.email_marks``: an email sent once, however often its job is retried;
- ``timebank.jobs.worker``: the worker.
"""
