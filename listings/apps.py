from django.apps import AppConfig


class ListingsConfig(AppConfig):
    name = "listings"
    verbose_name = "Platforms, sellers and listings"

    def ready(self) -> None:
        from rightsholders.signals import right_came_into_force

        right_came_into_force.connect(_retro_scan_right, dispatch_uid="listings-retro-scan")


def _retro_scan_right(sender, *, right, **kwargs) -> None:
    from listings.services.scanning import retro_scan_create

    retro_scan_create(right=right)
