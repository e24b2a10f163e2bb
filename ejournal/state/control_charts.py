"""The control page's plotly figures, built from the fill report's rows (pandas pivots)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ejournal.domain.control import Report

FONT = {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12}


def _layout(title: str, **extra: object) -> dict[str, object]:
    return {
        "title": {"text": title, "font": {"size": 15}},
        "font": FONT,
        "margin": {"l": 10, "r": 10, "t": 48, "b": 10},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        **extra,
    }


def fill_heat_map(fill: Report) -> go.Figure:
    """Class × subject: marks per student per held lesson (наполняемость), in percent."""
    frame = pd.DataFrame(fill.rows)
    if frame.empty or "fill_rate" not in frame:
        return go.Figure(layout=_layout("Наполняемость: нет уроков за период"))
    frame = frame[(frame["lessons_held"] > 0) & (frame["possible_marks"] > 0)]
    if frame.empty:
        return go.Figure(layout=_layout("Наполняемость: нет уроков с отметками за период"))
    grouped = frame.groupby(["class_name", "subject"], sort=False).agg(
        marks=("marks", "sum"), possible=("possible_marks", "sum")
    )
    grouped["rate"] = 100 * grouped["marks"] / grouped["possible"].where(grouped["possible"] > 0)
    pivot = grouped["rate"].unstack("subject").dropna(how="all").dropna(axis=1, how="all")
    order = sorted(pivot.index, key=_class_key)
    pivot = pivot.reindex(order)
    figure = go.Figure(
        go.Heatmap(
            z=pivot.round(0).values,
            x=list(pivot.columns),
            y=list(pivot.index),
            colorscale="RdYlGn",
            zmin=0,
            zmax=60,
            hoverongaps=False,
            hovertemplate="%{y}, %{x}: %{z:.0f} %<extra></extra>",
            colorbar={"title": {"text": "%"}, "thickness": 12},
        )
    )
    figure.update_layout(
        **_layout(
            "Наполняемость по классам и предметам, %",
            xaxis={"tickangle": -45, "automargin": True},
            yaxis={"autorange": "reversed", "automargin": True, "type": "category"},
        )
    )
    return figure


#: How many teachers the bar chart shows: those with the lowest share of marks on time.
BAR_TEACHERS = 15


def figure_height(figure: go.Figure) -> int:
    """The height the figure asked for (px), 420 by default."""
    return int(figure.layout.height or 420)


def teacher_bars(fill: Report) -> go.Figure:
    """The teachers with the lowest share of marks entered on time, with the share of their
    held lessons that have a topic."""
    frame = pd.DataFrame(fill.rows)
    if frame.empty or "teacher" not in frame:
        return go.Figure(layout=_layout("Учителя: нет уроков за период"))
    sums = frame.groupby("teacher").agg(
        held=("lessons_held", "sum"),
        on_time=("marks_on_time", "sum"),
        marks=("marks", "sum"),
        topics=("topics_recorded", "sum"),
    )
    sums = sums[sums["held"] > 0]
    sums["topics_share"] = 100 * sums["topics"] / sums["held"]
    sums["on_time_share"] = 100 * sums["on_time"] / sums["marks"].where(sums["marks"] > 0)
    sums = sums[sums["marks"] > 0].sort_values("on_time_share").head(BAR_TEACHERS)
    sums = sums.iloc[::-1]  # plotly draws the first bar at the bottom: the worst on top
    height = max(320, 34 * len(sums) + 120)
    figure = go.Figure(
        [
            go.Bar(
                y=list(sums.index),
                x=sums["on_time_share"].round(0).tolist(),
                name="отметки вовремя",
                orientation="h",
                marker_color="#2f80ed",
                hovertemplate="%{y}: %{x:.0f} % отметок вовремя<extra></extra>",
            ),
            go.Bar(
                y=list(sums.index),
                x=sums["topics_share"].round(0).tolist(),
                name="темы записаны",
                orientation="h",
                marker_color="#27ae60",
                hovertemplate="%{y}: темы у %{x:.0f} % уроков<extra></extra>",
            ),
        ]
    )
    figure.update_layout(
        **_layout(
            f"Отметки вовремя: {len(sums)} учителей с наименьшей долей, %",
            barmode="group",
            height=height,
            xaxis={"range": [0, 100]},
            yaxis={"automargin": True},
            legend={"orientation": "h", "y": -0.08},
        )
    )
    return figure


def _class_key(name: str) -> tuple[int, str]:
    digits = "".join(ch for ch in name if ch.isdigit())
    return (int(digits) if digits else 0, name)


def progress_trend(progress: Report) -> go.Figure:
    """The school's успеваемость and качество over the year's periods (quarters, half-years)."""
    frame = pd.DataFrame(progress.rows)
    if frame.empty or "level" not in frame:
        return go.Figure(layout=_layout("Успеваемость и качество: периоды ещё не закончились"))
    school = frame[frame["level"] == "school"].sort_values("period_ends_on")
    school = school[school["students"] > 0]
    if school.empty:
        return go.Figure(layout=_layout("Успеваемость и качество: периоды ещё не закончились"))
    # Quarters and half-years end on different days: one point per period, named by it.
    labels = list(school["period"])
    figure = go.Figure(
        [
            go.Scatter(
                x=labels,
                y=(100 * school["progress"].astype(float)).round(0).tolist(),
                name="успеваемость",
                mode="lines+markers",
                line={"color": "#27ae60"},
                hovertemplate="%{x}: успеваемость %{y:.0f} %<extra></extra>",
            ),
            go.Scatter(
                x=labels,
                y=(100 * school["quality"].astype(float)).round(0).tolist(),
                name="качество",
                mode="lines+markers",
                line={"color": "#2f80ed"},
                hovertemplate="%{x}: качество %{y:.0f} %<extra></extra>",
            ),
        ]
    )
    figure.update_layout(
        **_layout(
            "Успеваемость и качество по периодам, %",
            yaxis={"range": [0, 100]},
            xaxis={"type": "category"},
            legend={"orientation": "h", "y": -0.15},
        )
    )
    return figure
