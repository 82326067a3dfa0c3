"""Operations across runtimes: deploy-with-backup, restore, rollback + verify, audit, console."""
