"""Staff web console: the callback queue, records, audit trail and monitoring report."""
