"""URLs of the social enterprise: canteen pages (namespace ``canteen``)."""

from django.urls import path

from linli.economy import views_canteen

app_name = "canteen"

MENU = "<int:pk>/menus/<str:day>/<str:meal>/"

urlpatterns: list = [
    path("<int:pk>/", views_canteen.day_board, name="day"),
    path(MENU, views_canteen.menu_edit, name="menu"),
    path(f"{MENU}copy/", views_canteen.menu_copy, name="menu_copy"),
    path(f"{MENU}delete/", views_canteen.menu_delete, name="menu_delete"),
    path(f"{MENU}delivery/", views_canteen.delivery, name="delivery"),
    path("<int:pk>/week/<str:day>/", views_canteen.week, name="week"),
    path("<int:pk>/dishes/<int:dish_pk>/sample/", views_canteen.sample_take, name="sample"),
    path(
        "<int:pk>/samples/<int:sample_pk>/discard/",
        views_canteen.sample_discard,
        name="sample_discard",
    ),
    path("<int:pk>/day/<str:day>.xlsx", views_canteen.day_xlsx, name="day_xlsx"),
    path("<int:pk>/day/<str:day>.pdf", views_canteen.day_pdf, name="day_pdf"),
]

# --- claims and cards (B2) ---
from linli.economy import views_cards, views_claims  # noqa: E402

urlpatterns += [
    path("<int:pk>/claims/", views_claims.claims_home, name="claims"),
    path("<int:pk>/claims/<int:claim_pk>/", views_claims.claim_detail, name="claim"),
    path("<int:pk>/claims/<int:claim_pk>/paid/", views_claims.claim_paid, name="claim_paid"),
    path("<int:pk>/claims/<int:claim_pk>/xlsx/", views_claims.claim_xlsx, name="claim_xlsx"),
    path("<int:pk>/claims/<int:claim_pk>/pdf/", views_claims.claim_pdf, name="claim_pdf"),
    path("<int:pk>/claims/<str:month>/", views_claims.claim_month, name="claim_month"),
    path("<int:pk>/cards/", views_cards.cards_home, name="cards"),
    path("<int:pk>/cards/issue/", views_cards.card_issue, name="card_issue"),
    path("<int:pk>/cards/<int:card_pk>/", views_cards.card_detail, name="card"),
    path("<int:pk>/cards/<int:card_pk>/top-up/", views_cards.card_top_up, name="card_top_up"),
    path("<int:pk>/cards/<int:card_pk>/refund/", views_cards.card_refund, name="card_refund"),
    path("<int:pk>/cards/<int:card_pk>/stop/", views_cards.card_stop, name="card_stop"),
    path("<int:pk>/cards/<int:card_pk>/print/", views_cards.card_print, name="card_print"),
]
