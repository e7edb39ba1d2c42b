from django.apps import AppConfig


class PlacesConfig(AppConfig):
    name = "linli.places"
    verbose_name = "区域与房屋（一标三实）"
