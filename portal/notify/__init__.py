"""E-mail through an outbox table: written with the change that causes it, sent by a worker."""
