"""Baton's bridge to a CRM: one small interface (`provider.CrmClient`), a module per provider."""
