# gunicorn configuration for hpcapi (install as /etc/hpcapi/gunicorn.conf.py).
#
# Started by systemd/hpcapi.service as:
#   hpcapi-server serve -c /etc/hpcapi/gunicorn.conf.py
# (gunicorn, whose master reads and checks hpcapi.conf at start-up and on each HUP).
# Options given on the command line override the values here (the dev stack passes its own
# bind address, pid file, user and log files).

# Socket activation: systemd/hpcapi.socket creates /run/hpcapi/gunicorn.sock (owner hpcapi,
# group www-data, mode 0660, so only Apache can connect) and hands it over; gunicorn uses the
# inherited socket when LISTEN_FDS is set and this bind address otherwise.
bind = ["unix:/run/hpcapi/gunicorn.sock"]
umask = 0o117  # a socket gunicorn creates itself is 0660 too

# Two cores serve ~2000 Kerberos-authenticated requests/s; slurmrestd calls block on I/O, so
# threads keep a worker busy while one waits. Each worker holds one pooled session to slurmrestd.
workers = 2
worker_class = "gthread"
threads = 8

# A request never waits on slurmrestd longer than [slurmrestd] timeout (default 10 s); this
# limit only catches a wedged worker.
timeout = 60
graceful_timeout = 20
keepalive = 5

# No preload: each worker reads the configuration and the JWT key itself, as the service user.
preload_app = False

# gunicorn >= 22 drops headers whose names contain '_' (X_Remote_User), so a client cannot
# smuggle a second spelling of the identity header past Apache.
header_map = "drop"

# The control socket (gunicorn >= 25) is not needed and would be created in the home directory.
control_socket_disable = True

accesslog = "-"
errorlog = "-"
# hpcapi's own loggers write to stderr; with a log file, capture it there too.
capture_output = True
loglevel = "info"
# The client's address as Apache saw it (gunicorn's own %(h)s is empty on a unix socket), the
# time, and the request's id, as hpcapi's audit line names them.
access_log_format = (
    '%({x-hpcapi-client-address}i)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms %({x-request-id}o)s'
)

# Route hpcapi's own loggers (hpcapi, hpcapi.audit) to gunicorn's error log.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "loggers": {
        "hpcapi": {"level": "INFO", "handlers": ["error_console"], "propagate": False},
    },
}
