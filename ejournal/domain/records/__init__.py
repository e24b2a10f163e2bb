"""Records that outlive the running app: backups that restore (`backup`)."""
