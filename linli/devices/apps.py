from django.apps import AppConfig


class DevicesConfig(AppConfig):
    name = "linli.devices"
    verbose_name = "智能设备"
