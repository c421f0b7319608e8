from django.urls import path

from newsletter import views

app_name = "newsletter"

urlpatterns = [
    path("subscribe/", views.signup, name="signup"),
    path("subscribe/preview/", views.rule_preview, name="rule_preview"),
    path("subscribe/check-inbox/", views.check_inbox, name="check_inbox"),
    path("subscribe/like/<id:pk>/", views.library_like, name="library_like"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("manage/", views.new_link, name="new_link"),
    path("manage/link-sent/", views.new_link_sent, name="new_link_sent"),
    path("manage/<str:token>/", views.manage, name="manage"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("digests/<str:token>/", views.digest, name="digest"),
    path("feedback/<str:token>/<str:verdict>/", views.feedback, name="feedback"),
    path("mute/<str:token>/", views.mute, name="mute"),
    path(
        "unsubscribe/<str:token>/one-click/",
        views.one_click_unsubscribe,
        name="one_click_unsubscribe",
    ),
]
