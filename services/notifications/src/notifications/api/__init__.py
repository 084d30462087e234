"""Notifications' HTTP API: a customer's messages, operations' delivery log and newsletters,
and the one-click unsubscribe."""
