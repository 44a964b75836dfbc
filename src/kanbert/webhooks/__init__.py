"""Webhooks: registrations, the outbox of events, debounced deliveries, signing, workers."""
