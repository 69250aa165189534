from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, insert, select, update

from core.errors import DuplicateKey, InsufficientFunds
from core.ledger import GUARDED_KINDS, Account, Transfer
from core.models import LedgerEntry, LedgerTotals
from db.errors import is_duplicate
from db.repositories._base import Repo, insert_ignoring_duplicates
from db.schema import accounts, ledger_entries

e = ledger_entries.c
a = accounts.c


class LedgerRepo(Repo):
    async def open(self, account: Account) -> None:
        if account.guarded:
            await self.conn.execute(
                insert_ignoring_duplicates(accounts, kind=account.kind, owner_id=account.owner_id, balance=0)
            )

    async def balance(self, account: Account) -> int:
        if account.guarded:
            query = select(a.balance).where(a.kind == account.kind, a.owner_id == account.owner_id)
        else:
            query = select(func.sum(e.amount)).where(
                e.account_kind == account.kind, e.owner_id == account.owner_id
            )
        return int((await self.conn.execute(query)).scalar() or 0)

    async def post(self, transfer: Transfer, now: datetime) -> None:
        legs = [(transfer.source, -transfer.amount), (transfer.target, transfer.amount)]
        rows = [
            {
                "txn_key": transfer.txn_key,
                "account_kind": account.kind,
                "owner_id": account.owner_id,
                "amount": amount,
                "memo": transfer.memo,
                "created_at": now,
            }
            for account, amount in legs
        ]
        try:
            await self.conn.execute(insert(ledger_entries), rows)
        except Exception as exc:
            if is_duplicate(exc):
                raise DuplicateKey(transfer.txn_key) from exc
            raise
        # A fixed order of row locks keeps two opposite transfers from deadlocking each other.
        for account, amount in sorted(legs, key=lambda leg: (leg[0].kind, leg[0].owner_id)):
            if account.guarded:
                await self._apply(account, amount)

    async def _apply(self, account: Account, amount: int) -> None:
        condition = and_(a.kind == account.kind, a.owner_id == account.owner_id)
        if amount < 0:
            condition = and_(condition, a.balance + amount >= 0)
        result = await self.conn.execute(update(accounts).where(condition).values(balance=a.balance + amount))
        if result.rowcount == 1:
            return
        if amount < 0:
            raise InsufficientFunds(amount=-amount)
        await self.open(account)
        await self.conn.execute(update(accounts).where(condition).values(balance=a.balance + amount))

    async def entries(self, account: Account, limit: int) -> list[LedgerEntry]:
        query = (
            select(e.txn_key, e.account_kind, e.owner_id, e.amount, e.memo, e.created_at)
            .where(e.account_kind == account.kind, e.owner_id == account.owner_id)
            .order_by(e.id.desc())
            .limit(limit)
        )
        return [LedgerEntry(*row) for row in await self.conn.execute(query)]

    async def totals(self) -> LedgerTotals:
        entries_sum = (await self.conn.execute(select(func.coalesce(func.sum(e.amount), 0)))).scalar()
        # One statement, so one snapshot: under READ COMMITTED two statements could straddle a payment
        # that moves money from a running balance to an account summed from its entries.
        row_balances = select(func.coalesce(func.sum(a.balance), 0)).scalar_subquery()
        unguarded = (
            select(func.coalesce(func.sum(e.amount), 0))
            .where(e.account_kind.not_in(sorted(GUARDED_KINDS)))
            .scalar_subquery()
        )
        balances = (await self.conn.execute(select(row_balances + unguarded))).scalar()
        per_account = (
            select(e.account_kind, e.owner_id, func.sum(e.amount).label("total"))
            .group_by(e.account_kind, e.owner_id)
            .subquery()
        )
        same_account = and_(per_account.c.account_kind == a.kind, per_account.c.owner_id == a.owner_id)
        mismatched = (
            await self.conn.execute(
                select(func.count())
                .select_from(accounts.outerjoin(per_account, same_account))
                .where(a.balance != func.coalesce(per_account.c.total, 0))
            )
        ).scalar()
        return LedgerTotals(int(entries_sum or 0), int(balances or 0), int(mismatched or 0))
