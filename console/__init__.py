"""The advisers' web console (``vigie console``): alerts, diagnostics, email triage, offers.

It depends downward only: settings (``streams.settings``), the Redis layout the sinks write
(``sinks``), and the same :class:`~streams.publisher.Publisher` as ``vigie publish`` for the
advisers' verdicts. It never imports ``agents``: it reads what the worker stored.
"""
