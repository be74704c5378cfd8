from django.urls import include, path

from accounts import administration, views

# Signing in, 2FA and one's own security: on the control plane and on every school.
urlpatterns = [
    path("cont/2fa/inrolare/", views.two_factor_enrol, name="two-factor-enrol"),
    path("cont/2fa/inrolare/email/", views.two_factor_enrol_email, name="two-factor-enrol-email"),
    path("cont/2fa/verificare/", views.two_factor_verify, name="two-factor-verify"),
    path("cont/2fa/verificare/cheie-acces/inceput/", views.passkey_verify_begin, name="passkey-verify-begin"),
    path("cont/2fa/verificare/cheie-acces/final/", views.passkey_verify_complete, name="passkey-verify-complete"),
    path("cont/2fa/cheie-acces/inceput/", views.passkey_register_begin, name="passkey-register-begin"),
    path("cont/2fa/cheie-acces/final/", views.passkey_register_complete, name="passkey-register-complete"),
    path("cont/2fa/cheie-acces/adaugata/", views.passkey_registered, name="passkey-registered"),
    path("cont/2fa/inrolare/sms/", views.two_factor_enrol_sms, name="two-factor-enrol-sms"),
    path("cont/2fa/cod/<str:channel>/", views.two_factor_send_code, name="two-factor-send-code"),
    path("cont/logout/peste-tot/", views.sign_out_everywhere, name="sign-out-everywhere"),
    path("cont/securitate/", views.security, name="account-security"),
    path("cont/", include("allauth.urls")),
]

# A school's people only: invitations, parents and children, the admin's account pages.
school_urlpatterns = [
    path("invitatie/<str:uidb64>/<str:token>/", views.invitation_accept, name="invitation-accept"),
    path("cont/copii/<int:child_id>/parola/", views.child_password, name="child-password"),
    path("administrare/conturi/", administration.users_list, name="admin-users"),
    path("administrare/conturi/nou/", administration.user_new, name="admin-user-new"),
    path("administrare/conturi/import/", administration.users_import, name="admin-users-import"),
    path("administrare/conturi/<int:user_id>/editare/", administration.user_edit, name="admin-user-edit"),
    path("administrare/conturi/<int:user_id>/copii/", administration.parent_links, name="admin-parent-links"),
    path("administrare/conturi/<int:user_id>/<str:action>/", administration.user_action, name="admin-user-action"),
]
