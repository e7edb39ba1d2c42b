"""Staff and grid-worker case pages, mounted at ``/cases/``."""

from django.urls import URLPattern, URLResolver, path

from linli.cases import views_actions, views_board, views_worker

app_name = "cases"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views_worker.mine, name="index"),
    path("mine/", views_worker.mine, name="mine"),
    path("new/", views_worker.new, name="new"),
    path("new/duplicates/", views_worker.duplicates, name="duplicates"),
    path("intake/", views_board.intake, name="intake"),
    path("board/", views_board.board, name="board"),
    path("<str:number>/", views_worker.detail, name="detail"),
    path("<str:number>/photos/<int:pk>/", views_worker.photo, name="photo"),
    path("<str:number>/<slug:action>/", views_actions.act, name="act"),
]
