"""Roster import and export (台账导入/导出): messy Excel/CSV population ledgers."""
