from allauth.account.adapter import DefaultAccountAdapter

from accounts.backends import may_sign_in_here


class AccountAdapter(DefaultAccountAdapter):
    """Accounts are made by a school's admin or the provider, never by signing up, and
    are used only on their own side (allauth would otherwise let a user whom the backend
    refused through as if merely inactive)."""

    def is_open_for_signup(self, request):
        return False

    def authenticate(self, request, **credentials):
        user = super().authenticate(request, **credentials)
        if user is not None and not may_sign_in_here(user):
            return None
        return user
