"""Retention: schedules that say how long a case's personal content is kept after it reaches a status, legal
holds that stop them, a dry run of what would go, and the erasure that removes the content and keeps the
statistics and the audit chain."""
