"""Picket's domain: events, seat maps, holds, orders, tickets and the wallet ledger.

Nothing here knows about Discord, SQL or the scheduler; the outer layers adapt to these types.
"""
