from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("favicon.ico", views.favicon_view, name="favicon"),
    path("login/", views.login_view, name="login"),
    path("login/sent/", views.login_sent_view, name="login-sent"),
    path("login/link/<str:token>/", views.login_link_view, name="login-link"),
    path("logout/", views.logout_view, name="logout"),
    path("signup/", views.signup_view, name="signup"),
    path("signup/welcome/", views.welcome_view, name="welcome"),
    path("card/", views.card_view, name="card"),
    path("card/scan/", views.card_scan_view, name="card-scan"),
    path("history/", views.history_view, name="history"),
    path("history/credit/", views.credit_history_view, name="credit-history"),
    path("rewards/", views.rewards_view, name="rewards"),
    path("rewards/<int:reward_id>/", views.reward_confirm_view, name="reward-confirm"),
    path("rewards/<int:reward_id>/redeem/", views.reward_redeem_view, name="reward-redeem"),
    path("codes/", views.codes_view, name="codes"),
    path("codes/<str:code>/", views.code_detail_view, name="code-detail"),
    path("profile/", views.profile_view, name="profile"),
    path("profile/consents/", views.consents_view, name="consents"),
    path("profile/password/", views.password_view, name="password"),
    path("profile/my-data.json", views.export_view, name="export"),
    path("profile/close/", views.close_view, name="close"),
    path("survey/", views.survey_view, name="survey"),
    path("satisfaction/", views.satisfaction_view, name="satisfaction"),
    path("earn/", views.earn_view, name="earn"),
    path("tiers/", views.tiers_view, name="tiers"),
    path("invite/", views.referral_view, name="referral"),
    path("branding/logo/", views.logo_view, name="logo"),
    path("unsubscribe/<str:token>/", views.unsubscribe_view, name="unsubscribe"),
]
